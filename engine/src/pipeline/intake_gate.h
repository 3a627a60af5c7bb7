#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace baraza {

// How late a claim ran, for IntakeGate::observe: how long the most recently due of its rows
// (anything with a `due_ms`) had waited at `now_ms`; 0 for an empty claim. The freshest row
// says how deep the queue runs; the oldest would also count a row that waited on an earlier one
// of its contact (behind a slow AI answer, say).
template <class Row>
long long claimLateness(const std::vector<Row>& claimed, long long now_ms) {
  if (claimed.empty())
    return 0;
  long long newest_due = 0;
  for (const auto& row : claimed)
    newest_due = std::max(newest_due, row.due_ms);
  return std::max(0LL, now_ms - newest_due);
}

// Back-pressure between the webhooks and the work behind them (docs/pipeline.md, "Intake"). The
// inbox workers and the outbox dispatcher say after each claim how late it ran (how long the most
// recently due row it took had waited), the landing mover (SQLite) how long the newest event it
// moved had waited in the journal; while any stage is over `late_limit`, a webhook
// waits, up to `max_hold`, before its events are stored.
// Stored webhooks then come no faster than they are answered, so an overload slows Meta's
// deliveries (a held webhook is acknowledged late, never refused) instead of growing a backlog
// whose every reply comes later. Off when `late_limit` is zero.
class IntakeGate {
 public:
  enum class Stage { kInbox, kOutbox, kLanding };
  struct Options {
    std::chrono::milliseconds late_limit{1000};
    std::chrono::milliseconds max_hold{1000};
  };
  explicit IntakeGate(Options options) : options_(options) {}
  IntakeGate(const IntakeGate&) = delete;
  IntakeGate& operator=(const IntakeGate&) = delete;

  // A claim's lateness in milliseconds (0 when it found no due work).
  void observe(Stage stage, long long late_ms);
  // Returns once work is no later than the limit, or after `max_hold`; each hold is counted.
  void waitForRoom();
  // Lets every held webhook through and holds none from now on (shutdown).
  void open();
  long long lateMs() const;  // the later stage's

 private:
  long long late() const { return std::max({late_ms_[0], late_ms_[1], late_ms_[2]}); }
  bool overLimit() const { return !open_ && late() > options_.late_limit.count(); }

  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable room_;
  long long late_ms_[3] = {0, 0, 0};  // by Stage
  bool incident_ = false;  // logged once when work falls behind, once when it is back on time
  bool open_ = false;
};

}  // namespace baraza
