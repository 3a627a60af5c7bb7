#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/clock.h"
#include "pipeline/inbox_store.h"
#include "pipeline/intake_gate.h"
#include "pipeline/landing_journal.h"
#include "pipeline/landing_mover.h"
#include "storage/database.h"

namespace baraza {

// The durable inbox with group commit: store() hands a request's events to one writer thread,
// which inserts every waiting request's events in one transaction (ON CONFLICT DO NOTHING on
// (channel, account, dedupe key)) and commits, then wakes them all. Throughput is then bounded
// by the database's batched insert rate rather than its commit rate; synchronous commit stays
// on. store() returns true only after the commit: the caller may answer 200. While the workers
// run behind, store() first waits for them (IntakeGate). With a landing journal (SQLite), the
// writer commits to the journal instead and a mover takes the events into the inbox
// (docs/pipeline.md, "Intake on SQLite"): the acknowledgement no longer waits for the database's
// one write lock.
class Inbox {
 public:
  struct Options {
    int linger_us = 500;      // how long the writer waits for more requests once one is there
    size_t max_batch = 2000;  // events per transaction
    // How long store() waits for the commit before it gives up (false: the caller answers
    // 503 and the channel delivers again).
    std::chrono::milliseconds store_timeout{5000};
    // Back-pressure (IntakeGate): how late claimed work may be before webhooks wait, and how
    // long one waits at most. A zero limit turns it off.
    IntakeGate::Options intake;
    // The landing journal's file (LandingJournal::pathBeside); "": events go straight in.
    std::string landing_path;
  };
  Inbox(Database& db, Clock clock, Options options);
  Inbox(Database& db, Clock clock) : Inbox(db, std::move(clock), Options{}) {}
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Blocks until the events are committed (true), or their transaction failed or did not end
  // within the store timeout (false). Events given up on before the writer took them are
  // dropped from the queue; ones it had taken may still commit (a redelivery is deduplicated).
  bool store(std::vector<InboxEvent> events);
  // A channel's events (a JSON array, or one event) into the inbox: 0 once committed, 1 when
  // the commit failed, 2 when the text is not JSON. `count` is set to how many events the text
  // held; one that lacks what routing needs is refused alone, logged and counted.
  int accept(const std::string& channel, std::string_view events_json, size_t& count);
  // Returns when a batch was stored, or after `at_most`: what idle workers wait on.
  void waitForEvents(std::chrono::milliseconds at_most);
  // How late a claim of events or sends ran (IntakeGate).
  void reportLateness(IntakeGate::Stage stage, long long late_ms) { gate_.observe(stage, late_ms); }

 private:
  struct Request {
    std::vector<InboxEvent> events;
    bool done = false;
    bool ok = false;
  };
  void writerLoop();
  bool commitBatch(const std::vector<std::shared_ptr<Request>>& batch);
  void storeEvents(std::vector<InboxEvent>& events);
  void paceLanding();
  void notifyStored();

  Database& db_;
  Clock clock_;
  Options options_;
  IntakeGate gate_;
  std::mutex mutex_;
  std::condition_variable wake_writer_, wake_callers_, wake_workers_;
  std::deque<std::shared_ptr<Request>> queue_;
  size_t queued_events_ = 0;
  unsigned long long stored_batches_ = 0;
  std::chrono::steady_clock::time_point last_timeout_log_{};
  bool stopping_ = false;
  std::thread writer_;
  std::unique_ptr<LandingJournal> landing_;
  std::unique_ptr<LandingMover> mover_;  // stops before the journal closes
};

}  // namespace baraza
