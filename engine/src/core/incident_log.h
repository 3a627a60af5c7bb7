#pragma once

#include <atomic>
#include <string>

#include <spdlog/spdlog.h>

namespace baraza {

// One warning when something starts failing and one line when it works again, instead of a
// line per try: a loop retrying against a database that is down would otherwise flood the log.
// Callers count every failure in a metric themselves.
class IncidentLog {
 public:
  explicit IncidentLog(std::string what) : what_(std::move(what)) {}

  // Logs `error` if this is the first failure since the last success.
  void failed(const std::string& error) {
    if (!failing_.exchange(true))
      spdlog::warn("{}: {} (not logged again until it works)", what_, error);
  }
  void succeeded() {
    if (failing_.load(std::memory_order_relaxed) && failing_.exchange(false))
      spdlog::info("{}: works again", what_);
  }

 private:
  std::string what_;
  std::atomic<bool> failing_{false};
};

}  // namespace baraza
