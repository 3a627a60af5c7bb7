#include "pipeline/lease_keeper.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {

LeaseKeeper::LeaseKeeper(InboxStore& inbox, OutboxStore& outbox, MessageClock& clock,
                         long long lease_ms, OwnerLiveness* liveness)
    : inbox_(inbox), outbox_(outbox), clock_(clock), lease_ms_(lease_ms), liveness_(liveness) {
  // Ticks often enough for both jobs: renewals every third of a lease, reaping every second.
  auto period = std::chrono::milliseconds(std::clamp(lease_ms_ / 6, 10LL, 500LL));
  thread_ = std::make_unique<WorkerPool>("lease keeper", 1, period, [this] {
    tick();
    return 0;
  });
}

LeaseKeeper::~LeaseKeeper() {
  stop();
}

void LeaseKeeper::start() {
  if (liveness_)
    liveness_->announce();  // before this process claims anything
  thread_->start();
}

void LeaseKeeper::stop() {
  thread_->stop();
}

void LeaseKeeper::holdEvents(const std::vector<long long>& ids) {
  std::lock_guard lock(mutex_);
  events_.insert(ids.begin(), ids.end());
}

void LeaseKeeper::dropEvents(const std::vector<long long>& ids) {
  std::lock_guard lock(mutex_);
  for (long long id : ids)
    events_.erase(id);
}

void LeaseKeeper::holdSends(const std::vector<OutboxStore::Key>& keys) {
  std::lock_guard lock(mutex_);
  sends_.insert(keys.begin(), keys.end());
}

void LeaseKeeper::dropSends(const std::vector<OutboxStore::Key>& keys) {
  std::lock_guard lock(mutex_);
  for (const auto& k : keys)
    sends_.erase(k);
}

int LeaseKeeper::tick() {
  long long now = clock_.nowMs();
  int reclaimed = 0;
  try {
    if (now - renewed_ms_ >= lease_ms_ / 3) {
      renew(now);
      renewed_ms_ = now;
    }
    if (now - reaped_ms_ >= std::min(1000LL, lease_ms_ / 3)) {
      reclaimed = reap(now);
      reaped_ms_ = now;
    }
    incidents_.succeeded();
  } catch (const std::exception& e) {
    // Claims not renewed expire and are taken again; nothing is lost.
    MetricsRegistry::global().counterAdd("baraza_lease_failures_total", {});
    incidents_.failed(e.what());
  }
  return reclaimed;
}

void LeaseKeeper::renew(long long now) {
  std::vector<long long> events;
  std::vector<OutboxStore::Key> sends;
  {
    std::lock_guard lock(mutex_);
    events.assign(events_.begin(), events_.end());
    sends.assign(sends_.begin(), sends_.end());
  }
  // What is not renewed was finished meanwhile, is being finished (skipped, not waited for),
  // or was taken by another process after this one stalled past a lease: the finish of that
  // work finds out and keeps none of it.
  long long until = now + lease_ms_;
  inbox_.renew(events, until);
  outbox_.renew(sends, until);
}

int LeaseKeeper::reclaimFromTheGone() {
  if (!liveness_ || !liveness_->announce())
    return 0;  // unmarked, this process cannot tell the others' state from its own outage
  std::set<std::string> owners;
  for (auto& owner : inbox_.otherOwners())
    owners.insert(std::move(owner));
  for (auto& owner : outbox_.otherOwners())
    owners.insert(std::move(owner));
  auto& metrics = MetricsRegistry::global();
  int reclaimed = 0;
  for (const auto& owner : owners) {
    if (!liveness_->isGone(owner))
      continue;
    auto events = inbox_.reclaimFrom(owner);
    auto sends = outbox_.reclaimFrom(owner);
    spdlog::warn("leases: process {} is gone; its {} events and {} sends are taken again", owner,
                 events.size(), sends.size());
    if (!events.empty())
      metrics.counterAdd("baraza_inbox_reclaims_total", {}, static_cast<double>(events.size()));
    if (!sends.empty())
      metrics.counterAdd("baraza_outbox_reclaims_total", {}, static_cast<double>(sends.size()));
    reclaimed += static_cast<int>(events.size() + sends.size());
  }
  return reclaimed;
}

int LeaseKeeper::reap(long long now) {
  int gone = reclaimFromTheGone();
  auto& metrics = MetricsRegistry::global();
  auto events = inbox_.reapExpired(now);
  for (const auto& [id, owner] : events) {
    spdlog::warn("inbox: the lease of event {} (held by {}) ran out; it is taken again", id,
                 owner == inbox_.owner() ? "this process" : "process " + owner);
  }
  if (!events.empty())
    metrics.counterAdd("baraza_inbox_reclaims_total", {}, static_cast<double>(events.size()));
  auto sends = outbox_.reapExpired(now);
  for (const auto& [key, owner] : sends) {
    spdlog::warn("outbox: the lease of send {} (held by {}) ran out; it is sent again", key.second,
                 owner == inbox_.owner() ? "this process" : "process " + owner);
  }
  if (!sends.empty())
    metrics.counterAdd("baraza_outbox_reclaims_total", {}, static_cast<double>(sends.size()));
  return gone + static_cast<int>(events.size() + sends.size());
}

}  // namespace baraza
