#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "core/incident_log.h"
#include "pipeline/clock.h"
#include "pipeline/inbox_store.h"
#include "pipeline/outbox_store.h"
#include "pipeline/owner_liveness.h"
#include "pipeline/worker_pool.h"

namespace baraza {

// Keeps this process's claims alive and takes back a dead process's (docs/pipeline.md,
// "Leases"). Every third of a lease it renews every event and send this process holds, in one
// statement each, so a claim stays short however long its work runs (an AI call included); and
// every second it returns to 'pending' the claims of processes that are gone (OwnerLiveness:
// a killed engine's work is taken again within a second of another one running) and the
// claims whose lease ran out, whoever held them (a process that stalled, or whose death cannot
// be told: within a lease, 10 s by default). Each such re-claim is logged and counted
// (baraza_inbox_reclaims_total, baraza_outbox_reclaims_total).
class LeaseKeeper {
 public:
  // `liveness` (may be null) tells when another lease holder's process is gone: its claims are
  // then taken back at once rather than when their leases run out.
  LeaseKeeper(InboxStore& inbox, OutboxStore& outbox, MessageClock& clock, long long lease_ms,
              OwnerLiveness* liveness = nullptr);
  ~LeaseKeeper();

  void start();
  void stop();
  long long leaseMs() const { return lease_ms_; }

  void holdEvents(const std::vector<long long>& ids);
  void dropEvents(const std::vector<long long>& ids);
  void holdSends(const std::vector<OutboxStore::Key>& keys);
  void dropSends(const std::vector<OutboxStore::Key>& keys);

  // One round: renews what is due and reaps what expired; returns how many it took back.
  int tick();

 private:
  void renew(long long now);
  int reap(long long now);
  int reclaimFromTheGone();

  InboxStore& inbox_;
  OutboxStore& outbox_;
  MessageClock& clock_;
  long long lease_ms_;
  OwnerLiveness* liveness_;
  std::mutex mutex_;
  std::set<long long> events_;
  std::set<OutboxStore::Key> sends_;
  long long renewed_ms_ = 0, reaped_ms_ = 0;
  IncidentLog incidents_{"leases"};
  std::unique_ptr<WorkerPool> thread_;
};

}  // namespace baraza
