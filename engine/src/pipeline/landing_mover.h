#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "pipeline/landing_journal.h"
#include "storage/database.h"

namespace baraza {

// Moves landed webhooks into the inbox (docs/pipeline.md, "Intake on SQLite"): the oldest
// batches of the LandingJournal in one transaction of the database's, as the inbox writer would
// have stored them (deduplicated on channel, account and dedupe key, each batch with the time it
// was acknowledged), then removes them from the journal. A crash between the two moves them
// again at the next start, where the dedupe key drops them. A transaction that fails leaves them
// landed: logged, counted in baraza_inbox_move_failures_total, tried again after `retry`.
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
  void loop();
  // Moves up to one transaction's worth; false when nothing was there or it failed.
  bool moveSome();

  Database& db_;
  LandingJournal& journal_;
  std::function<void(long long)> moved_;
  std::chrono::milliseconds retry_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point last_failure_log_{};
  std::thread thread_;
};

}  // namespace baraza
