#pragma once

#include <algorithm>
#include <random>

namespace baraza {

// Full-jitter exponential backoff (AWS architecture blog): a uniform delay in
// [0, min(cap, base * 2^attempt)], never below the server's suggested delay.
inline long long backoffMs(int attempt, long long base_ms, long long cap_ms,
                           long long suggested_ms = 0) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  long long ceiling = base_ms;
  for (int i = 1; i < attempt && ceiling < cap_ms; ++i)
    ceiling *= 2;
  ceiling = std::min(ceiling, cap_ms);
  long long delay = std::uniform_int_distribution<long long>(0, std::max(0LL, ceiling))(rng);
  return std::max(delay, suggested_ms);
}

}  // namespace baraza
