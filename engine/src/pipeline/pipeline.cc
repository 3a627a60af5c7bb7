#include "pipeline/pipeline.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/usage_ledger.h"

namespace baraza {

Pipeline::Pipeline(Database& db, Inbox& inbox, const Sealer& sealer,
                   const TenantDirectory& directory, const PluginHost& plugins, ScriptHost& scripts,
                   PipelineConfig config, Clock clock)
    : db_(db),
      inbox_(inbox),
      config_(std::move(config)),
      clock_(std::move(clock)),
      owner_((config_.reclaim_from_the_gone ? OwnerLiveness::kMarkedPrefix : "") + newUuid()),
      liveness_(db.url(), owner_),
      inbox_store_(db, owner_),
      outbox_store_(db, owner_),
      leases_(inbox_store_, outbox_store_, clock_, config_.lock_ms,
              config_.reclaim_from_the_gone ? &liveness_ : nullptr),
      parts_{plugins, scripts, config_, clock_, inbox_store_, tenant_inputs_},
      pace_ledger_(db, config_.per_number_rate,
                   [this] { return db_.dialect() != Dialect::kSqlite || liveness_.othersAlive(); }),
      dispatcher_(outbox_store_, leases_, sealer, directory, plugins, config_, clock_, sharedPace(),
                  [this](long long late_ms) {
                    inbox_.reportLateness(IntakeGate::Stage::kOutbox, late_ms);
                  }),
      waiting_(db, parts_, leases_, config_.waiting_workers, [this] { dispatcher_.wake(); }),
      worker_(db, directory, parts_, leases_, waiting_, dispatcher_),
      scripts_(scripts),
      workers_("inbox worker", config_.workers, std::chrono::milliseconds(0),
               [this] { return workerStep(); }),
      upkeep_(db),
      upkeep_thread_("table upkeep", 1, std::chrono::seconds(1), [this] { return upkeep(); }) {}

SendPacer::Reserve Pipeline::sharedPace() {
  if (!config_.shared_pacing)
    return {};
  // Numbers are WhatsApp's today; the pacer keys a budget by the sending account.
  return [this](const std::string& number, int want, long long now_ms) {
    return pace_ledger_.reserve("whatsapp", number, want, now_ms);
  };
}

Pipeline::~Pipeline() {
  stop();
}

void Pipeline::start() {
  started_ = true;
  stopping_ = false;
  // Shared pacing tells from the marks whether an SQLite engine is alone: every engine marks
  // itself then, even one that takes no dead process's claims back early.
  if (config_.shared_pacing)
    liveness_.announce();
  leases_.start();
  waiting_.start();
  dispatcher_.start();
  workers_.start();
  upkeep_thread_.start();
}

void Pipeline::stop() {
  if (!started_)
    return;
  started_ = false;
  upkeep_thread_.stop();
  stopping_ = true;
  dispatcher_.endWaits();  // a worker waiting for the senders' room stops now
  workers_.stop();
  waiting_.stop();
  dispatcher_.stop();
  leases_.stop();
  liveness_.withdraw();
}

int Pipeline::workerStep() {
  // At full load the workers answer faster than the senders send; their replies went in due
  // and were each claimed: a second write of every outbox row. Room reserved before the claim
  // keeps the backlog in the inbox (which the intake gate watches) and hands every reply over.
  // The wait is bounded: a slow channel slows the sends, not the recording of messages.
  size_t room = dispatcher_.reserveAhead(static_cast<size_t>(config_.batch_size),
                                         std::chrono::milliseconds(config_.room_wait_ms));
  if (stopping_) {
    dispatcher_.adopt({}, room);  // nothing went in
    return 0;
  }
  InboxWorker::Claimed claimed = worker_.processDue(config_.batch_size, room);
  inbox_.reportLateness(IntakeGate::Stage::kInbox, claimed.late_ms);
  int done = claimed.events;
  // A partial batch emptied the queue. Claiming again at once would take the next event or two
  // as they arrive, each batch a transaction of its own; a short pause lets them gather (under a
  // steady load: ~15% less PostgreSQL CPU per reply, see bench/README.md).
  if (done > 0 && done < config_.batch_size && config_.batch_linger_ms > 0)
    workers_.pause(std::chrono::milliseconds(config_.batch_linger_ms));
  if (done > 0 || workers_.stopping())
    return done;
  long long now = clock_.nowMs(), last = last_eviction_ms_;
  if (now - last > 10000 && last_eviction_ms_.compare_exchange_strong(last, now))
    scripts_.evictIdle();  // idle tenants' script states are closed
  inbox_.waitForEvents(std::chrono::milliseconds(config_.poll_ms));
  return 0;
}

int Pipeline::upkeep() {
  // Once a second. Usage is folded every fifth round: each fold upserts one counter row per
  // tenant, name and period however many deltas it adds (measured ~0.1 s a fold at 1,300
  // messages/s), and readers add the deltas meanwhile, so a slower fold loses no count.
  long long round = upkeep_rounds_++;
  if (round % 5 == 0) {
    try {
      foldUsage(db_);
      fold_incidents_.succeeded();
    } catch (const std::exception& e) {
      // Deltas stay where they are and are folded next time; readers count them meanwhile.
      MetricsRegistry::global().counterAdd("baraza_usage_fold_failures_total", {});
      fold_incidents_.failed(e.what());
    }
  }
  try {
    if (round % 5 == 2) {
      upkeep_.run();
      upkeep_incidents_.succeeded();
    }
  } catch (const std::exception& e) {
    MetricsRegistry::global().counterAdd("baraza_table_upkeep_failures_total", {});
    upkeep_incidents_.failed(e.what());
  }
  return 0;
}

int Pipeline::processDue(int max) {
  InboxWorker::Claimed claimed = worker_.processDue(max);
  inbox_.reportLateness(IntakeGate::Stage::kInbox, claimed.late_ms);
  // Without threads, what waits on the network is answered here.
  waiting_.drain();
  return claimed.events;
}

int Pipeline::sendDue(int max) {
  return dispatcher_.sendDue(max);
}

}  // namespace baraza
