#include "circuit_breaker.h"

namespace baraza::ai {

bool CircuitBreakers::allow(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  Breaker& b = breakers_[key];
  if (b.open_until == 0)
    return true;
  if (clock_() < b.open_until || b.trial_out)
    return false;
  b.trial_out = true;  // half-open: this call is the trial
  return true;
}

void CircuitBreakers::release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  breakers_[key].trial_out = false;
}

void CircuitBreakers::succeeded(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  breakers_[key] = Breaker{};
}

bool CircuitBreakers::failed(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  Breaker& b = breakers_[key];
  bool was_open = b.open_until != 0;
  ++b.failures;
  if (was_open || b.failures >= failures_) {
    b.open_until = clock_() + open_ms_;
    b.trial_out = false;
    return !was_open;
  }
  return false;
}

std::string CircuitBreakers::state(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  const Breaker& b = breakers_[key];
  if (b.open_until == 0)
    return "closed";
  return clock_() < b.open_until ? "open" : "half_open";
}

}  // namespace baraza::ai
