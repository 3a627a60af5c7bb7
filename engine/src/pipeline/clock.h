#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace baraza {

// Milliseconds since the epoch. The pipeline takes a clock so tests can move time.
using Clock = std::function<long long()>;

inline long long systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The one clock of the message path: every time it reads or writes comes from here. Row
// stamps (created_at, updated_at, ...) are the clock's millisecond with a microsecond part that
// only grows within the process, so rows written in one millisecond keep their order.
class MessageClock {
 public:
  explicit MessageClock(Clock clock = systemNowMs) : clock_(std::move(clock)) {}

  long long nowMs() const { return clock_(); }
  // "YYYY-MM-DDTHH:MM:SS.ffffffZ", strictly later than the previous stamp of this process.
  std::string stamp();
  const Clock& clock() const { return clock_; }

 private:
  Clock clock_;
  std::atomic<long long> last_us_{0};
};

}  // namespace baraza
