#include "pipeline/waiting_answers.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "pipeline/answer_writes.h"
#include "pipeline/event_failures.h"
#include "pipeline/message_steps.h"

namespace baraza {

WaitingAnswers::WaitingAnswers(Database& db, StepParts parts, LeaseKeeper& leases, int threads,
                               std::function<void()> wake_senders)
    : db_(db),
      parts_(parts),
      leases_(leases),
      wake_senders_(std::move(wake_senders)),
      pool_("waiting answers", threads, std::chrono::milliseconds(parts.config.poll_ms),
            [this] { return answerNext(); }) {}

WaitingAnswers::~WaitingAnswers() {
  stop();
}

void WaitingAnswers::start() {
  pool_.start();
}

void WaitingAnswers::stop() {
  pool_.stop();
  // What was never started keeps its claim until the lease runs out; the next process (or this
  // one after a restart) answers it.
  std::lock_guard lock(mutex_);
  queue_.clear();
}

void WaitingAnswers::add(std::unique_ptr<MessageWork> work) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
  }
  pool_.wake();
}

void WaitingAnswers::drain() {
  while (answerNext() > 0) {
  }
}

size_t WaitingAnswers::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

int WaitingAnswers::answerNext() {
  std::unique_ptr<MessageWork> work;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty())
      return 0;
    work = std::move(queue_.front());
    queue_.pop_front();
  }
  try {
    answer(*work);
  } catch (const std::exception& e) {
    failEvent(parts_, leases_, work->event, Failure::retry(e.what()));
  }
  return 1;
}

void WaitingAnswers::answer(MessageWork& w) {
  const TenantConfig& tenant = *w.tenant;
  for (;;) {
    waitForAnswer(w);  // no transaction open
    TenantScope tx(db_, tenant.id, true, TenantScope::Plans::kIndexed);
    continueDecision(w, tx);
    if (w.waits) {
      tx.commit();  // another strategy of the chain waits in turn
      continue;
    }
    concludeMessage(w, tx, parts_);
    w.releaseScript();
    long long now = parts_.clock.nowMs();
    writeAnswers(tx, {&w}, now);
    if (parts_.inbox.finish(tx, {{w.event.inbox_id, "done", tenant.slug}}, now).empty()) {
      // Another process took the event after this one's lease ran out: it answers it.
      MetricsRegistry::global().counterAdd("baraza_inbox_lost_claims_total", {});
      spdlog::info(
          "inbox: event {} was taken by another process while it waited; this one "
          "keeps nothing of its answer",
          w.event.inbox_id);
      leases_.dropEvents({w.event.inbox_id});
      return;
    }
    tx.commit();
    break;
  }
  if (publishAnswers({&w}) > 0 || !w.sends.empty())
    wake_senders_();
  MetricsRegistry::global().counterAdd("baraza_inbox_processed_total", {{"kind", "message"}});
  if (!w.quarantine_reason.empty())
    quarantineScript(db_, parts_.scripts, tenant, w.script_version, w.quarantine_reason);
  leases_.dropEvents({w.event.inbox_id});
}

}  // namespace baraza
