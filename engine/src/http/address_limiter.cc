#include "http/address_limiter.h"

#include <algorithm>
#include <cmath>

namespace baraza {

AddressLimiter::AddressLimiter(int per_minute)
    : capacity_(std::max(per_minute, 1)), per_ms_(std::max(per_minute, 1) / 60000.0) {}

double AddressLimiter::refilled(const Bucket& b, long long now_ms) const {
  return std::min(capacity_,
                  b.tokens + static_cast<double>(std::max(0LL, now_ms - b.at_ms)) * per_ms_);
}

void AddressLimiter::prune(long long now_ms) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (refilled(it->second, now_ms) >= capacity_)
      it = buckets_.erase(it);
    else
      ++it;
  }
  if (buckets_.size() >= 2 * kMaxAddresses)
    buckets_.clear();  // a flood from very many addresses: forget rather than grow
}

bool AddressLimiter::allow(const std::string& address, long long now_ms, int& retry_after_s) {
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxAddresses)
      prune(now_ms);
    it = buckets_.emplace(address, Bucket{capacity_, now_ms}).first;
  }
  Bucket& b = it->second;
  b.tokens = refilled(b, now_ms);
  b.at_ms = std::max(b.at_ms, now_ms);
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after_s = static_cast<int>(std::ceil((1 - b.tokens) / per_ms_ / 1000.0));
  return false;
}

size_t AddressLimiter::addressesTracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace baraza
