#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "core/incident_log.h"
#include "pipeline/clock.h"
#include "pipeline/lease_keeper.h"
#include "pipeline/outbox_store.h"
#include "pipeline/pipeline_config.h"
#include "pipeline/send_pacer.h"
#include "pipeline/worker_pool.h"
#include "plugin_host/plugin_host.h"
#include "security/sealer.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// Sends what the outbox holds (docs/pipeline.md, "Outbox and senders"). One dispatcher thread
// claims due sends in batches and records their results in batches; `senders` threads make the
// channel calls concurrently (the WhatsApp channel keeps its connections alive). Before a send:
// the 24-hour window (outside it the re-engagement template, or blocked_by_window), pacing per
// number and per recipient, the tenant's sealed token. After it: the channel's message id and
// early statuses, a retry with full-jitter backoff, or a dead letter with its reason. A result
// that cannot be recorded (the database away) is kept and recorded again, its claim renewed
// meanwhile: a sent reply is never sent twice unless the process dies first.
class OutboxDispatcher {
 public:
  OutboxDispatcher(OutboxStore& store, LeaseKeeper& leases, const Sealer& sealer,
                   const TenantDirectory& directory, const PluginHost& plugins,
                   const PipelineConfig& config, MessageClock& clock,
                   SendPacer::Reserve shared_pace = {},
                   std::function<void(long long late_ms)> report_lateness = {});
  ~OutboxDispatcher();

  void start();
  void stop();  // finishes the sends in flight and records them
  void wake();
  // One round of the dispatcher: records finished sends, claims more; returns how many rows it
  // recorded or claimed.
  int dispatch();
  // For tests without threads: claims up to `max` due sends, sends them here, records them.
  int sendDue(int max);

  // Sends queued already leased to this process (by an inbox worker, in its own transaction)
  // come here after the commit instead of through a claim: no claim statement, no second write
  // of each row. `reserve` says how many of `wanted` sends to queue so: none while the
  // dispatcher is stopped or has due sends of its own to claim (older sends go first), else as
  // many as fit under 8 x `senders` (or two batches, `2 x batch_size`, if that is more) queued
  // or in flight. Claims share that room, up to 2 x `senders` a claim; either way a sender
  // starts no send while `senders` results wait to be recorded. Each reservation is settled by
  // one `adopt`, with the sends that went in after the commit, or with none if the transaction
  // did not commit.
  size_t reserve(size_t wanted);
  // `reserve` for a batch that holds `reserved` (from reserveAhead): how many of `wanted` sends
  // to queue leased, none while due sends wait for a claim, else its reservation topped up from
  // the room (`reserved` grows by what was added). Settled by one `adopt` with `reserved`.
  size_t reserveFor(size_t wanted, size_t& reserved);
  // `reserve` ahead of a batch: waits up to `most` until `wanted` sends (at most half the room)
  // would be granted whole, then reserves what there is room for. Inbox workers
  // reserve so before a claim, so that at full load replies are made no faster than they are
  // sent and each is handed over, not queued due and claimed (a second write of every row).
  // Waits are counted in `baraza_outbox_room_waits_total`. A dispatcher that sends nothing (not
  // started, or stopped) reserves nothing, at once; `most` of 0 reserves what there is at once.
  size_t reserveAhead(size_t wanted, std::chrono::milliseconds most);
  // Ends every reserveAhead wait at once, and every later one until start(): the inbox workers
  // are stopping, and a worker waiting for room would hold up the stop by up to its wait.
  void endWaits();
  void adopt(std::vector<ClaimedSend> sends, size_t reserved);
  // The lease to queue reserved sends with.
  SendLease lease() const;

 private:
  int sendNext();
  SendResult send(const ClaimedSend& claimed);
  SendResult callChannel(const ClaimedSend& claimed, const TenantConfig& tenant,
                         const CachedChannel& account, nlohmann::json request, bool receipt);
  int record(long long now);
  void reportLateness(const std::vector<ClaimedSend>& claimed, long long now);
  void finished(SendResult result);

  OutboxStore& store_;
  LeaseKeeper& leases_;
  const Sealer& sealer_;
  const TenantDirectory& directory_;
  const PluginHost& plugins_;
  const PipelineConfig& config_;
  MessageClock& clock_;
  SendPacer pacer_;
  // After each claim: how long the most recently due send of it had waited (IntakeGate).
  std::function<void(long long)> report_lateness_;
  size_t handedCap() const;   // sends queued or in flight: 8 x senders, or two batches if more
  size_t roomLocked() const;  // under mutex_

  std::mutex mutex_;
  std::condition_variable room_;  // in_flight_ fell, backlog_ cleared, or stopped
  std::deque<ClaimedSend> to_send_;
  std::vector<SendResult> results_;
  size_t in_flight_ = 0;  // claimed, adopted or reserved, and not yet recorded
  bool running_ = false;
  bool waits_ended_ = false;  // endWaits() was called since start()
  bool backlog_ = true;       // due sends may be waiting for a claim
  long long record_again_ms_ = 0;
  int record_failures_ = 0;
  IncidentLog claims_{"outbox: claiming sends"};
  WorkerPool dispatcher_, senders_;
};

}  // namespace baraza
