#pragma once

#include <chrono>
#include <functional>

namespace baraza {

// Milliseconds since the epoch. The pipeline takes a clock so tests can move time.
using Clock = std::function<long long()>;

inline long long systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace baraza
