#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

namespace baraza {

// Open connections per client address, so one client cannot hold every file descriptor with
// connections it never finishes. Every open() is matched by one close(), admitted or not.
class ConnectionCap {
 public:
  explicit ConnectionCap(int per_address);  // 0: no cap

  // Counts a new connection from `address`; false when it is over the cap (close it).
  bool open(const std::string& address);
  void close(const std::string& address);
  int openFrom(const std::string& address) const;

 private:
  const int per_address_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, int> open_;  // only addresses with a connection open
};

}  // namespace baraza
