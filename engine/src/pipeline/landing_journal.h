#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/inbox_store.h"

namespace soci {
class session;
}

namespace baraza {

// Where a SQLite deployment's webhooks land before the inbox takes them (docs/pipeline.md,
// "Intake on SQLite"): a small SQLite file of its own beside the database (`<file>.landing`),
// with its own write lock. SQLite has one writer per file, and the inbox workers hold the
// database's for a whole batch (8-9 ms at 1,000 webhooks/s), so an acknowledgement that waited
// for it waited for them: p99 ~50 ms. A landing commit waits for nothing but its own fsync.
// Synchronous commit is on: what append() returns from survives a crash, and the inbox moves it
// in (Inbox), then removes it here. Its calls are serialized within a process; processes on one
// database share the file through SQLite's own lock (ids are never reused: see the table's
// definition).
class LandingJournal {
 public:
  // The events of one group commit, as they landed.
  struct Batch {
    long long last_id = 0;      // the journal's id of the batch's last event
    long long received_ms = 0;  // when they were acknowledged
    std::vector<InboxEvent> events;
  };

  // Opens (creates) the journal at `path`; throws StorageError when it cannot.
  explicit LandingJournal(const std::string& path);
  ~LandingJournal();
  LandingJournal(const LandingJournal&) = delete;
  LandingJournal& operator=(const LandingJournal&) = delete;

  // The journal beside a SQLite database file; "" for PostgreSQL and in-memory databases.
  static std::string pathBeside(const std::string& sqlite_path);

  // Durably appends one group commit's events, acknowledged at `received_ms`.
  void append(const std::vector<InboxEvent>& events, long long received_ms);
  // The oldest landed events, at most about `max`, as the batches they landed in (in order).
  std::vector<Batch> oldest(size_t max);
  // Forgets every event up to `last_id` (moved into the inbox).
  void remove(long long last_id);
  // How many events wait here.
  long long depth();

 private:
  std::mutex mutex_;
  std::unique_ptr<soci::session> session_;
};

}  // namespace baraza
