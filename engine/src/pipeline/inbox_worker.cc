#include "pipeline/inbox_worker.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "pipeline/answer_writes.h"
#include "pipeline/event_failures.h"
#include "pipeline/intake_gate.h"
#include "pipeline/message_steps.h"

namespace baraza {

// The events of one transaction: routed messages and statuses (sorted by tenant), and the
// events finished without a tenant's steps (unrouted, channel errors).
struct InboxWorker::Batch {
  std::vector<std::unique_ptr<MessageWork>> works;
  std::vector<FinishedEvent> finished;
  std::vector<long long> held;  // every event of the batch
  std::vector<std::unique_ptr<MessageWork>> waiting;
  size_t reserved = 0;              // sends the dispatcher reserved room for
  std::vector<ClaimedSend> handed;  // the sends queued leased, for the dispatcher
};

InboxWorker::InboxWorker(Database& db, const TenantDirectory& directory, StepParts parts,
                         LeaseKeeper& leases, WaitingAnswers& waiting, OutboxDispatcher& dispatcher)
    : db_(db),
      directory_(directory),
      parts_(parts),
      leases_(leases),
      waiting_(waiting),
      dispatcher_(dispatcher) {}

// Room reserved ahead, given back unless a batch takes it (and settles it itself).
class InboxWorker::AheadRoom {
 public:
  AheadRoom(OutboxDispatcher& dispatcher, size_t reserved)
      : dispatcher_(dispatcher), reserved_(reserved) {}
  ~AheadRoom() {
    if (reserved_ > 0)
      dispatcher_.adopt({}, reserved_);
  }
  AheadRoom(const AheadRoom&) = delete;
  AheadRoom& operator=(const AheadRoom&) = delete;
  size_t take() { return std::exchange(reserved_, 0); }

 private:
  OutboxDispatcher& dispatcher_;
  size_t reserved_;
};

InboxWorker::Claimed InboxWorker::processDue(int max, size_t reserved) {
  AheadRoom room(dispatcher_, reserved);
  long long now = parts_.clock.nowMs();
  std::vector<InboundEvent> claimed = parts_.inbox.claim(max, now, now + leases_.leaseMs());
  if (claimed.empty())
    return {};
  Claimed result{static_cast<int>(claimed.size()), claimLateness(claimed, now)};
  auto& metrics = MetricsRegistry::global();
  metrics.counterAdd("baraza_inbox_claims_total", {});
  metrics.counterAdd("baraza_inbox_claimed_events_total", {}, static_cast<double>(claimed.size()));
  std::vector<long long> ids;
  for (const auto& e : claimed)
    ids.push_back(e.inbox_id);
  leases_.holdEvents(ids);
  std::vector<InboundEvent> events;
  for (auto& e : claimed) {
    if (auto bad = parsePayload(e))
      failEvent(parts_, leases_, e, *bad);
    else
      events.push_back(std::move(e));
  }
  auto batchOf = [&](const std::vector<InboundEvent>& list) {
    auto batch = std::make_unique<Batch>();
    for (const auto& e : list)
      prepare(*batch, e);
    return batch;
  };
  auto batch = batchOf(events);
  batch->reserved = room.take();
  Failure failure;
  Outcome outcome = run(*batch, failure);
  if (outcome == Outcome::kCommitted) {
    afterCommit(*batch);
  } else if (outcome == Outcome::kLostClaims) {
    giveBack(*batch);
  } else if (outcome == Outcome::kFailed && events.size() == 1) {
    failEvent(parts_, leases_, events.front(), failure);
  } else if (outcome == Outcome::kFailed) {
    // One bad message must not fail its neighbours: each runs alone.
    MetricsRegistry::global().counterAdd("baraza_inbox_batch_splits_total", {});
    spdlog::info("inbox: a batch of {} events failed ({}); each runs alone", events.size(),
                 failure.message);
    for (const auto& e : events) {
      auto single = batchOf({e});
      Failure alone;
      Outcome o = run(*single, alone);
      if (o == Outcome::kCommitted)
        afterCommit(*single);
      else if (o == Outcome::kLostClaims)
        giveBack(*single);
      else
        failEvent(parts_, leases_, e, alone);
    }
  }
  return result;
}

void InboxWorker::prepare(Batch& batch, const InboundEvent& event) {
  auto& metrics = MetricsRegistry::global();
  batch.held.push_back(event.inbox_id);
  auto w = std::make_unique<MessageWork>(event);
  if (!routeMessage(*w, directory_, parts_.config)) {
    metrics.counterAdd("baraza_inbox_unrouted_total", {{"kind", event.kind}});
    spdlog::warn("inbox: event {} to unknown number {} stored as unrouted", event.inbox_id,
                 event.account_id);
    batch.finished.push_back({event.inbox_id, "unrouted", ""});
    return;
  }
  if (!appMayDeliver(*w)) {
    metrics.counterAdd("baraza_inbox_wrong_app_total", {{"app", event.app}});
    spdlog::warn(
        "inbox: event {} for number {} was signed by Meta app '{}', which the number's channel "
        "does not name (its `app`); stored as unrouted",
        event.inbox_id, event.account_id, event.app);
    batch.finished.push_back({event.inbox_id, "unrouted", ""});
    return;
  }
  if (!event.isMessage() && !event.isStatus()) {
    metrics.counterAdd("baraza_channel_errors_total", {{"tenant", w->tenant->slug}});
    spdlog::warn("tenant {}: channel error event: {}", w->tenant->slug,
                 event.payload.substr(0, 300));
    batch.finished.push_back({event.inbox_id, "done", w->tenant->slug});
    return;
  }
  batch.works.push_back(std::move(w));
}

InboxWorker::Outcome InboxWorker::run(Batch& batch, Failure& failure) {
  Outcome outcome = runOnce(batch, failure);
  if (outcome != Outcome::kCommitted) {
    dispatcher_.adopt({}, batch.reserved);  // nothing went in
    batch.reserved = 0;
    batch.handed.clear();
  }
  return outcome;
}

InboxWorker::Outcome InboxWorker::runOnce(Batch& batch, Failure& failure) {
  // Tenant by tenant: counters and leads are locked in one order by every transaction.
  std::stable_sort(batch.works.begin(), batch.works.end(),
                   [](const auto& a, const auto& b) { return a->tenant->id < b->tenant->id; });
  try {
    TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
    std::vector<MessageWork*> answered, messages;
    std::vector<FinishedEvent> finished = batch.finished;
    for (auto& w : batch.works) {
      w->started_ms = parts_.clock.nowMs();
      if (w->event.isMessage())
        messages.push_back(w.get());
    }
    recordMessages(messages, tx, parts_);
    for (auto& w : batch.works) {
      tx.actFor(w->tenant->id);  // row-level security follows the message's tenant
      if (w->event.isStatus()) {
        applyStatus(*w, tx);
      } else {
        runSteps(*w, tx);
        if (w->postponed_until) {
          if (!parts_.inbox.postpone(tx, w->event.inbox_id, *w->postponed_until))
            return Outcome::kLostClaims;  // rolled back as the transaction goes
          continue;
        }
        if (w->waits)
          continue;
        answered.push_back(w.get());
      }
      finished.push_back({w->event.inbox_id, "done", w->tenant->slug});
    }
    tx.actFor(TenantScope::kAllTenants);  // the batch's own rows span tenants
    long long now = parts_.clock.nowMs();
    size_t hand = dispatcher_.reserveFor(handableSends(answered), batch.reserved);
    batch.handed = writeAnswers(tx, answered, now, {hand, dispatcher_.lease()});
    if (parts_.inbox.finish(tx, finished, now).size() < finished.size())
      return Outcome::kLostClaims;
    tx.commit();
    for (auto& w : batch.works) {
      if (w->waits)
        batch.waiting.push_back(std::move(w));
    }
    return Outcome::kCommitted;
  } catch (const std::exception& e) {
    failure = Failure::retry(e.what());
    return Outcome::kFailed;
  } catch (...) {
    failure = Failure::retry("a step threw something that is not an exception");
    return Outcome::kFailed;
  }
}

void InboxWorker::giveBack(Batch& batch) {
  // Another process took some of these events after this one stalled past their lease: it does
  // their work, so this batch kept none of it (its transaction rolled back); the events still
  // held go back to the queue at once.
  MetricsRegistry::global().counterAdd("baraza_inbox_lost_claims_total", {});
  spdlog::info(
      "inbox: events of a batch of {} were taken by another process; the batch is "
      "given back",
      batch.held.size());
  leases_.dropEvents(batch.held);
  try {
    parts_.inbox.release(batch.held);
  } catch (const std::exception& e) {
    spdlog::warn("inbox: could not give back a batch's claims: {}", e.what());
  }
}

void InboxWorker::runSteps(MessageWork& w, TenantScope& tx) {
  gateMessage(w, tx, parts_);
  if (w.postponed_until)
    return;
  runMessageHooks(w, tx, parts_);
  checkLimits(w, tx, parts_);
  decideAnswer(w, tx, parts_);
  if (w.waits)
    return;
  concludeMessage(w, tx, parts_);
  w.releaseScript();
}

void InboxWorker::applyStatus(MessageWork& w, TenantScope& tx) {
  const InboundEvent& e = w.event;
  std::string stamp = parts_.clock.stamp();
  if (message_store::applyStatus(tx, w.tenant->id, e.id, e.status, e.payload, stamp)) {
    MetricsRegistry::global().counterAdd("baraza_statuses_total", {{"result", "applied"}});
    return;
  }
  // Not known yet: the send may not have recorded its id. Kept and applied when it does.
  message_store::keepPendingStatus(tx, e.account_id, e.id, e.status, e.payload,
                                   parts_.clock.nowMs());
  MetricsRegistry::global().counterAdd("baraza_statuses_total", {{"result", "kept"}});
}

void InboxWorker::afterCommit(Batch& batch) {
  size_t handed = batch.handed.size();
  dispatcher_.adopt(std::move(batch.handed), batch.reserved);  // first: nothing below is lost
  batch.reserved = 0;
  auto& metrics = MetricsRegistry::global();
  std::vector<MessageWork*> answered;
  size_t sends = 0;
  for (const auto& w : batch.works) {
    if (!w)
      continue;  // handed to the waiting answers below
    if (w->event.isMessage() && !w->postponed_until) {
      answered.push_back(w.get());
      sends += w->sends.size();
    }
    if (!w->postponed_until)
      metrics.counterAdd("baraza_inbox_processed_total", {{"kind", w->event.kind}});
    if (!w->quarantine_reason.empty())
      quarantineScript(db_, parts_.scripts, *w->tenant, w->script_version, w->quarantine_reason);
  }
  for (const auto& f : batch.finished) {
    if (f.status == "done")
      metrics.counterAdd("baraza_inbox_processed_total", {{"kind", "error"}});
  }
  publishAnswers(answered);
  if (sends > handed)
    dispatcher_.wake();  // sends to claim
  std::vector<long long> released;
  for (long long id : batch.held) {
    bool waits = std::any_of(batch.waiting.begin(), batch.waiting.end(),
                             [&](const auto& w) { return w->event.inbox_id == id; });
    if (!waits)
      released.push_back(id);
  }
  leases_.dropEvents(released);
  for (auto& w : batch.waiting)
    waiting_.add(std::move(w));
}

}  // namespace baraza
