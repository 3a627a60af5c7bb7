#include "pipeline/landing_mover.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/thread_name.h"

namespace baraza {
namespace {

// Events per transaction: many group commits' worth under a burst, yet a short hold of the
// write lock the inbox workers wait for.
constexpr size_t kMoveBatch = 500;

}  // namespace

LandingMover::LandingMover(Database& db, LandingJournal& journal,
                           std::function<void(long long)> moved, std::chrono::milliseconds retry)
    : db_(db), journal_(journal), moved_(std::move(moved)), retry_(retry) {
  thread_ = std::thread([this] { loop(); });
}

LandingMover::~LandingMover() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LandingMover::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void LandingMover::loop() {
  nameThisThread("inbox mover");
  for (;;) {
    while (moveSome()) {
    }
    std::unique_lock lock(mutex_);
    if (stopping_)
      return;  // what is left stays landed for the next start
    // Polls too: what landed before a crash, or what a failed move left, is moved without a
    // new webhook to wake it.
    wake_.wait_for(lock, retry_, [&] { return woken_ || stopping_; });
    woken_ = false;
  }
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
    return true;
  } catch (const std::exception& e) {
    metrics.counterAdd("baraza_inbox_move_failures_total", {});
    auto now = std::chrono::steady_clock::now();
    if (now - last_failure_log_ > std::chrono::seconds(10)) {  // once per incident
      last_failure_log_ = now;
      spdlog::warn(
          "inbox: landed webhooks could not be moved into the inbox (they stay landed and are "
          "tried again): {}",
          e.what());
    }
    return false;
  }
}

}  // namespace baraza
