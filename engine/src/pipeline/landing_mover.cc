#include "pipeline/landing_mover.h"

#include "core/metrics.h"

namespace baraza {
namespace {

// Events per transaction: many group commits' worth under a burst, yet a short hold of the
// write lock the inbox workers wait for.
constexpr size_t kMoveBatch = 500;

}  // namespace

LandingMover::LandingMover(Database& db, LandingJournal& journal,
                           std::function<void(long long)> moved, std::chrono::milliseconds retry)
    : db_(db),
      journal_(journal),
      moved_(std::move(moved)),
      thread_("inbox mover", 1, retry, [this] { return moveSome() ? 1 : 0; }) {
  thread_.start();
}

LandingMover::~LandingMover() {
  thread_.stop();
  while (moveSome()) {
  }  // what is left (the database refusing) stays landed for the next start
}

void LandingMover::wake() {
  thread_.wake();
}

bool LandingMover::moveSome() {
  auto& metrics = MetricsRegistry::global();
  try {
    auto batches = journal_.oldest(kMoveBatch);
    if (batches.empty()) {
      moved_(0);
      return false;
    }
    size_t events = 0;
    {
      TenantScope tx(db_, TenantScope::kAllTenants, true);
      for (const auto& b : batches) {
        InboxStore::insert(tx, b.events, b.received_ms);
        events += b.events.size();
      }
      tx.commit();
    }
    journal_.remove(batches.back().last_id);
    metrics.counterAdd("baraza_inbox_moved_events_total", {}, static_cast<double>(events));
    moved_(batches.back().received_ms);
    failures_.succeeded();
    return true;
  } catch (const std::exception& e) {
    metrics.counterAdd("baraza_inbox_move_failures_total", {});
    failures_.failed(e.what());
    return false;
  }
}

}  // namespace baraza
