#include "pipeline/send_pacer.h"

#include <algorithm>
#include <cmath>

namespace baraza {

long long SendPacer::take(const std::string& number, const std::string& recipient,
                          long long now_ms) {
  std::lock_guard lock(mutex_);
  std::string pair = number + '\x1f' + recipient;
  auto pair_it = pair_next_ms_.find(pair);
  if (pair_interval_ms_ > 0 && pair_it != pair_next_ms_.end() && pair_it->second > now_ms)
    return pair_it->second - now_ms;
  if (rate_ > 0) {
    auto [it, fresh] = buckets_.try_emplace(number, Bucket{static_cast<double>(rate_), now_ms});
    Bucket& b = it->second;
    b.tokens = std::min<double>(rate_, b.tokens + (now_ms - b.at_ms) * rate_ / 1000.0);
    b.at_ms = now_ms;
    if (b.tokens < 1.0)
      return std::max(1LL, static_cast<long long>(std::ceil((1.0 - b.tokens) * 1000.0 / rate_)));
    b.tokens -= 1.0;
  }
  if (pair_interval_ms_ > 0)
    pair_next_ms_[pair] = now_ms + pair_interval_ms_;
  if (pair_next_ms_.size() > 100000) {
    // Forget pairs whose gap is over; memory stays bounded under many recipients.
    for (auto p = pair_next_ms_.begin(); p != pair_next_ms_.end();)
      p = p->second <= now_ms ? pair_next_ms_.erase(p) : std::next(p);
  }
  return 0;
}

}  // namespace baraza
