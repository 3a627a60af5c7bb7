#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace baraza {

// A token bucket per client address: `per_minute` requests, refilled evenly, with a burst of as
// many. For routes an unauthenticated caller can make costly (Meta's GET handshake reads the
// database). Times are a steady clock's milliseconds, passed in so tests choose them.
class AddressLimiter {
 public:
  explicit AddressLimiter(int per_minute);

  // Whether `address` may make a request at `now_ms`; takes a token when it may. When it may
  // not, `retry_after_s` is how long until it may again.
  bool allow(const std::string& address, long long now_ms, int& retry_after_s);
  size_t addressesTracked() const;

  // Past this many addresses, buckets that have refilled are forgotten (a full bucket is the
  // same as none); past twice as many, all are.
  static constexpr size_t kMaxAddresses = 10000;

 private:
  struct Bucket {
    double tokens;
    long long at_ms;
  };
  double refilled(const Bucket& b, long long now_ms) const;
  void prune(long long now_ms);

  const double capacity_;
  const double per_ms_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace baraza
