#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "storage/database.h"

namespace baraza {

// Whether the process behind a lease owner id is still running, so that a restarted engine
// takes back a dead process's claims at once instead of waiting out their leases
// (docs/pipeline.md, "Leases"). Each process marks itself alive for as long as it runs:
// - PostgreSQL: a session advisory lock, held on a connection of its own; the server drops it
//   the moment the process dies (kill -9 included) and its socket closes.
// - SQLite: an flock on DATABASE.owners/OWNER, which the kernel drops with the process.
// Owners that mark themselves say so in their id (kMarkedPrefix): an owner is gone only when
// its id has the prefix and its mark can be taken. An engine that does not mark itself
// (reclaim_from_the_gone off, or an older version during an upgrade), a mark this process could
// not make or an in-memory database leave only the lease to tell.
class OwnerLiveness {
 public:
  static constexpr const char* kMarkedPrefix = "marked-";

  OwnerLiveness(const DatabaseUrl& url, std::string owner);
  ~OwnerLiveness();
  OwnerLiveness(const OwnerLiveness&) = delete;
  OwnerLiveness& operator=(const OwnerLiveness&) = delete;

  // Marks this process alive, or checks that its mark still stands (its connection may have
  // gone) and makes it again; false (logged and counted) when it cannot. Called at start and at
  // every reaping round.
  bool announce();
  // True when `owner`'s process is gone for sure.
  bool isGone(const std::string& owner);
  // Whether another engine may run on this database: false only when this process is marked
  // and sees every other mark gone (SQLite's lock files); true when it cannot tell (PostgreSQL).
  bool othersAlive();
  // Removes this process's mark (a clean stop).
  void withdraw();

  class Mark;  // per dialect

 private:
  std::string owner_;
  std::mutex mutex_;
  bool markLocked();

  std::unique_ptr<Mark> mark_;
  bool marked_ = false, failed_ = false;
};

}  // namespace baraza
