#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "pipeline/lease_keeper.h"
#include "pipeline/message_work.h"
#include "pipeline/outbox_dispatcher.h"
#include "pipeline/waiting_answers.h"
#include "storage/database.h"

namespace baraza {

// Processes claimed inbox events in batches (docs/pipeline.md, "Workers"). A batch runs every
// message's steps (message_steps.h) in one transaction, sorted by tenant (so transactions lock
// shared counters in one order), then writes all replies, sends, usage and completions in a few
// statements and commits once. A message whose strategy waits on the network is handed to
// WaitingAnswers after the commit, and the sends it queued leased to the dispatcher. If the batch
// fails, each of its events is run again alone, so one bad message is retried or dead-lettered
// without its neighbours.
class InboxWorker {
 public:
  InboxWorker(Database& db, const TenantDirectory& directory, StepParts parts, LeaseKeeper& leases,
              WaitingAnswers& waiting, OutboxDispatcher& dispatcher);

  struct Claimed {
    int events = 0;
    // How long the most recently due of them had waited: 0 when the queue is shallow (or
    // nothing was claimed), the queue's depth in time when even the freshest waited.
    long long late_ms = 0;
  };
  // Claims and processes up to `max` due events. `reserved` is room the dispatcher reserved
  // ahead for their sends (OutboxDispatcher::reserveAhead): the batch uses it first, and what
  // it does not use goes back to the dispatcher.
  Claimed processDue(int max, size_t reserved = 0);

 private:
  struct Batch;
  class AheadRoom;
  enum class Outcome { kCommitted, kFailed, kLostClaims };

  void prepare(Batch& batch, const InboundEvent& event);
  // Runs the events in one transaction; on kFailed, `failure` says why. Sends the dispatcher
  // reserved and did not get back are returned to it.
  Outcome run(Batch& batch, Failure& failure);
  Outcome runOnce(Batch& batch, Failure& failure);
  void giveBack(Batch& batch);
  void runSteps(MessageWork& work, TenantScope& tx);
  void applyStatus(MessageWork& work, TenantScope& tx);
  void afterCommit(Batch& batch);

  Database& db_;
  const TenantDirectory& directory_;
  StepParts parts_;
  LeaseKeeper& leases_;
  WaitingAnswers& waiting_;
  OutboxDispatcher& dispatcher_;
};

}  // namespace baraza
