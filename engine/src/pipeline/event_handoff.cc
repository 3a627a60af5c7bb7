#include "pipeline/event_handoff.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {

void EventHandoff::open(std::string owner, Clock clock, long long lease_ms, size_t capacity) {
  std::lock_guard lock(mutex_);
  owner_ = std::move(owner);
  clock_ = std::move(clock);
  lease_ms_ = lease_ms;
  capacity_ = capacity;
  backlog_ = true;  // until a worker's claim says otherwise
  open_ = true;
}

std::vector<long long> EventHandoff::close() {
  std::unique_lock lock(mutex_);
  open_ = false;
  settled_.wait(lock, [&] { return grants_ == 0; });
  std::vector<long long> left;
  for (const auto& h : waiting_)
    left.push_back(h.event.inbox_id);
  waiting_.clear();
  return left;
}

HandoffGrant EventHandoff::grant() {
  std::lock_guard lock(mutex_);
  HandoffGrant g;
  size_t used = waiting_.size() + granted_;
  if (!open_ || backlog_ || used >= capacity_)
    return g;
  g.room = capacity_ - used;
  g.owner = owner_;
  g.lease_until = clock_() + lease_ms_;
  granted_ += g.room;
  ++grants_;
  return g;
}

void EventHandoff::put(const HandoffGrant& grant, std::vector<InboundEvent> events) {
  if (grant.room == 0)
    return;  // nothing was granted, nothing to settle
  size_t count = events.size();
  {
    std::lock_guard lock(mutex_);
    --grants_;
    granted_ -= std::min(granted_, grant.room);
    for (auto& e : events)
      waiting_.push_back({std::move(e), grant.lease_until});
  }
  settled_.notify_all();
  if (count > 0)
    MetricsRegistry::global().counterAdd("baraza_inbox_handed_events_total", {},
                                         static_cast<double>(count));
}

std::vector<InboundEvent> EventHandoff::take(size_t max) {
  std::vector<InboundEvent> out;
  size_t stale = 0;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty())
      return out;
    long long now = clock_();
    while (!waiting_.empty() && out.size() < max) {
      Handed h = std::move(waiting_.front());
      waiting_.pop_front();
      if (h.lease_until - now < lease_ms_ / 2)
        ++stale;  // its lease may run out before the lease keeper renews it
      else
        out.push_back(std::move(h.event));
    }
  }
  if (stale > 0) {
    MetricsRegistry::global().counterAdd("baraza_inbox_handoff_stale_total", {},
                                         static_cast<double>(stale));
    spdlog::warn(
        "inbox: {} handed event(s) waited past half their lease; the lease keeper "
        "returns them to the queue",
        stale);
  }
  return out;
}

size_t EventHandoff::waiting() {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

void EventHandoff::setBacklog(bool backlog) {
  std::lock_guard lock(mutex_);
  backlog_ = backlog;
}

}  // namespace baraza
