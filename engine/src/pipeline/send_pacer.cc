#include "pipeline/send_pacer.h"

#include <algorithm>
#include <cmath>

#include "core/metrics.h"

namespace baraza {

SendPacer::SendPacer(int per_number_rate, int pair_interval_ms, Reserve shared)
    : rate_(per_number_rate),
      pair_interval_ms_(pair_interval_ms),
      shared_(std::move(shared)),
      // A quarter of a second's sends per statement: at 80/s, one statement per 20 sends. The
      // ledger bounds the sends of all engines whatever the block; a bigger block only wastes
      // more of a second's budget that one engine reserved and another could have used.
      block_(std::max(1, per_number_rate / 4)) {}

long long SendPacer::take(const std::string& number, const std::string& recipient,
                          long long now_ms) {
  std::string pair = number + '\x1f' + recipient;
  Reserved* reserved = nullptr;
  long long pair_before = 0, pair_after = 0;
  {
    std::lock_guard lock(mutex_);
    auto pair_it = pair_next_ms_.find(pair);
    if (pair_interval_ms_ > 0 && pair_it != pair_next_ms_.end() && pair_it->second > now_ms)
      return pair_it->second - now_ms;
    if (rate_ > 0 && !shared_) {
      if (long long wait = takeLocally(number, now_ms); wait > 0)
        return wait;
    }
    if (pair_interval_ms_ > 0) {
      // The pair's slot is taken now, so a second send to the recipient waits even while this
      // one is still asking the shared budget; it is given back if that says no.
      pair_before = pair_it == pair_next_ms_.end() ? 0 : pair_it->second;
      pair_after = pair_next_ms_[pair] = now_ms + pair_interval_ms_;
    }
    if (pair_next_ms_.size() > 100000) {
      // Forget pairs whose gap is over; memory stays bounded under many recipients.
      for (auto p = pair_next_ms_.begin(); p != pair_next_ms_.end();)
        p = p->second <= now_ms && p->first != pair ? pair_next_ms_.erase(p) : std::next(p);
    }
    if (rate_ > 0 && shared_) {
      auto& slot = reserved_[number];
      if (!slot)
        slot = std::make_unique<Reserved>();
      reserved = slot.get();
    }
  }
  if (!reserved)
    return 0;
  long long wait;
  {
    std::lock_guard lock(reserved->mutex);
    wait = takeFromNumber(*reserved, number, now_ms);
  }
  if (wait > 0 && pair_interval_ms_ > 0) {
    std::lock_guard lock(mutex_);
    auto it = pair_next_ms_.find(pair);
    if (it != pair_next_ms_.end() && it->second == pair_after)
      it->second = pair_before;
  }
  return wait;
}

long long SendPacer::takeFromNumber(Reserved& r, const std::string& number, long long now_ms) {
  if (now_ms < alone_until_ms_.load()) {
    std::lock_guard lock(mutex_);
    return takeLocally(number, now_ms);
  }
  if (now_ms >= r.until_ms)
    r.sends = 0;  // reserved for a second that is over
  if (r.sends == 0) {
    if (now_ms < r.refused_ms)
      return r.refused_ms - now_ms;
    Grant grant;
    try {
      grant = shared_(number, block_, now_ms);
      shared_incidents_.succeeded();
    } catch (const std::exception& e) {
      // Not asked again for a second: a database that hangs would hold every send of the
      // number for its timeout, at every try.
      alone_until_ms_ = now_ms + 1000;
      MetricsRegistry::global().counterAdd("baraza_send_pace_shared_failures_total", {});
      shared_incidents_.failed(std::string(e.what()) + "; pacing this process alone meanwhile");
      std::lock_guard lock(mutex_);
      return takeLocally(number, now_ms);
    }
    if (grant.granted <= 0) {
      r.refused_ms = now_ms + std::max(1LL, grant.retry_ms);
      return r.refused_ms - now_ms;
    }
    r.sends = grant.granted;
    r.until_ms = now_ms + 1000;
  }
  --r.sends;
  return 0;
}

long long SendPacer::takeLocally(const std::string& number, long long now_ms) {
  auto [it, fresh] = buckets_.try_emplace(number, Bucket{static_cast<double>(rate_), now_ms});
  Bucket& b = it->second;
  b.tokens = std::min<double>(rate_, b.tokens + (now_ms - b.at_ms) * rate_ / 1000.0);
  b.at_ms = now_ms;
  if (b.tokens < 1.0)
    return std::max(1LL, static_cast<long long>(std::ceil((1.0 - b.tokens) * 1000.0 / rate_)));
  b.tokens -= 1.0;
  return 0;
}

}  // namespace baraza
