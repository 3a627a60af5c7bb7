#pragma once

#include <chrono>

#include "storage/database.h"

namespace baraza {

// Keeps PostgreSQL's view of the pipeline's tables current while they are young and busy
// (docs/pipeline.md, "Table upkeep"). Statements are prepared once per connection, and their
// plans are made from the tables' statistics; on a fresh database those say "empty" until
// autovacuum's first pass (a minute or more away), and a plan made then stays wrong as the
// table grows by thousands of rows a second (a key lookup may walk a tenant's whole history).
// Every round it ANALYZEs a pipeline table whose live rows have more than doubled since its
// statistics were taken (PostgreSQL then re-plans what uses it), and VACUUMs a queue whose
// dead row versions outnumber its work (claims would otherwise step over them). A database
// role that may not do either is logged once and left to autovacuum. SQLite: nothing to do.
class TableUpkeep {
 public:
  explicit TableUpkeep(Database& db) : db_(db) {}
  // One round; returns how many tables it analyzed or vacuumed.
  int run();

 private:
  Database& db_;
  bool refused_ = false;
};

}  // namespace baraza
