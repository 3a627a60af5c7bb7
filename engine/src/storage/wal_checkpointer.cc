#include "storage/wal_checkpointer.h"

#include <soci/sqlite3/soci-sqlite3.h>

#include "core/metrics.h"
#include "core/thread_name.h"

namespace baraza {

WalCheckpointer::WalCheckpointer(soci::session& session, std::chrono::milliseconds period)
    : session_(session), period_(period), thread_([this] { loop(); }) {}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool WalCheckpointer::checkpoint() {
  auto* backend = static_cast<soci::sqlite3_session_backend*>(session_.get_backend());
  int rc = backend && backend->conn_
               ? sqlite_api::sqlite3_wal_checkpoint_v2(backend->conn_, nullptr,
                                                       SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr)
               : SQLITE_MISUSE;
  // Busy: another checkpoint (a commit's backstop) is running and does the same work; neither
  // a checkpoint of this thread nor a failure.
  if (rc == SQLITE_OK || rc == SQLITE_BUSY) {
    if (rc == SQLITE_OK)
      MetricsRegistry::global().counterAdd("baraza_sqlite_checkpoints_total", {});
    incidents_.succeeded();
    return true;
  }
  MetricsRegistry::global().counterAdd("baraza_sqlite_checkpoint_failures_total", {});
  incidents_.failed(backend && backend->conn_ ? sqlite_api::sqlite3_errmsg(backend->conn_)
                                              : "the connection is closed");
  return false;
}

void WalCheckpointer::loop() {
  nameThisThread("wal checkpoint");
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period_, [&] { return stopping_; })) {
    lock.unlock();
    checkpoint();
    lock.lock();
  }
}

}  // namespace baraza
