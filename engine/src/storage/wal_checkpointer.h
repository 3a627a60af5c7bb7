#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/incident_log.h"
#include "storage/soci.h"

namespace baraza {

// Copies SQLite's write-ahead log back into the database file from a thread of its own, on a
// connection of its own, every `period`. Left to SQLite, the checkpoint runs inside whichever
// commit crosses `wal_autocheckpoint`, under the one write lock every writer of the process
// queues on: it was a seventh of that lock's time under load (bench/README.md). A passive
// checkpoint takes no write lock, so writers go on meanwhile; the connections' own
// autocheckpoint stays as a backstop at a larger size. Counted in
// baraza_sqlite_checkpoints_total; failures are logged once per incident and counted in
// baraza_sqlite_checkpoint_failures_total (the backstop then keeps the log bounded).
class WalCheckpointer {
 public:
  WalCheckpointer(soci::session& session, std::chrono::milliseconds period);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // One passive checkpoint now; false when it failed.
  bool checkpoint();

 private:
  void loop();

  soci::session& session_;
  std::chrono::milliseconds period_;
  IncidentLog incidents_{"sqlite checkpoint"};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baraza
