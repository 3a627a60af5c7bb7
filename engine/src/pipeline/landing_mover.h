#pragma once

#include <chrono>
#include <functional>

#include "core/incident_log.h"
#include "pipeline/landing_journal.h"
#include "pipeline/worker_pool.h"
#include "storage/database.h"

namespace baraza {

// Moves landed webhooks into the inbox (docs/pipeline.md, "Intake on SQLite"): the oldest
// batches of the LandingJournal in one transaction of the database's, as the inbox writer would
// have stored them (deduplicated on channel, account and dedupe key, each batch with the time it
// was acknowledged), then removes them from the journal. A crash between the two moves them
// again at the next start, where the dedupe key drops them. A transaction that fails leaves them
// landed: logged once per incident, counted in baraza_inbox_move_failures_total, tried again
// after `retry`. Runs on a WorkerPool of one thread, "inbox mover".
class LandingMover {
 public:
  // `moved` is called after each move with the landing time of the newest event moved, and with
  // 0 when the mover found nothing to move.
  LandingMover(Database& db, LandingJournal& journal, std::function<void(long long)> moved,
               std::chrono::milliseconds retry = std::chrono::milliseconds(100));
  // Moves what has landed (as far as the database lets it), then stops.
  ~LandingMover();
  LandingMover(const LandingMover&) = delete;
  LandingMover& operator=(const LandingMover&) = delete;

  // Something landed: move it now rather than at the next poll.
  void wake();

 private:
  // Moves up to one transaction's worth; false when nothing was there or it failed.
  bool moveSome();

  Database& db_;
  LandingJournal& journal_;
  std::function<void(long long)> moved_;
  IncidentLog failures_{
      "inbox: landed webhooks could not be moved into the inbox (they stay landed and are tried "
      "again)"};
  // Polls too: what landed before a crash, or what a failed move left, is moved without a new
  // webhook to wake it.
  WorkerPool thread_;
};

}  // namespace baraza
