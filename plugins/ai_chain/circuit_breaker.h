#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace baraza::ai {

// One breaker per provider and key (a tenant's bad key opens only that tenant's breaker):
// closed until `failures` calls in a row fail, then open (calls are refused at once) for
// `open_ms`, then half-open: one trial call goes through; its success closes the breaker, its
// failure opens it again. Thread-safe.
class CircuitBreakers {
 public:
  using Clock = std::function<long long()>;  // milliseconds
  CircuitBreakers(int failures, long long open_ms, Clock clock)
      : failures_(failures), open_ms_(open_ms), clock_(std::move(clock)) {}

  // Whether a call may go now (in half-open state, only the first caller's may).
  bool allow(const std::string& key);
  // A trial allowed but never made (no time left): the next caller may make it.
  void release(const std::string& key);
  void succeeded(const std::string& key);
  // True when this failure opened the breaker.
  bool failed(const std::string& key);
  std::string state(const std::string& key);  // closed, open, half_open

 private:
  struct Breaker {
    int failures = 0;
    long long open_until = 0;  // 0: closed
    bool trial_out = false;    // half-open, and the trial call is out
  };
  int failures_;
  long long open_ms_;
  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, Breaker> breakers_;
};

}  // namespace baraza::ai
