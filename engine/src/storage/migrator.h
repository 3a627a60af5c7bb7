#pragma once

#include <string>
#include <vector>

#include "storage/database.h"

namespace baraza {

struct Migration {
  int version = 0;   // NNNN of NNNN_name.sql
  std::string name;  // name of NNNN_name.sql
  std::string file;  // "sqlite/0001_core_schema.sql", for messages
  std::string sql;
  std::string checksum;  // SHA-256 of sql, hex
};

struct MigrationState {
  Migration migration;
  bool applied = false;
  bool modified = false;  // applied, but the file changed since: old migrations are never edited
  std::string applied_at;
};

// Reads DIR/<dialect>/NNNN_name.sql, sorted by number. Throws StorageError on a misnamed file
// or a repeated number.
std::vector<Migration> loadMigrationDir(const std::string& dir, Dialect dialect);
// The migrations compiled into the binary.
std::vector<Migration> embeddedMigrations(Dialect dialect);

// Applies migrations in order, each in its own transaction, recording each in
// schema_migrations. A failing one is rolled back and stops the run.
class Migrator {
 public:
  Migrator(Database& db, std::vector<Migration> migrations);

  // Lists every migration as applied, modified or pending; writes nothing.
  std::vector<MigrationState> status();
  // Applies what is pending; returns how many. Throws StorageError naming the file and the
  // database's error.
  int apply();

 private:
  void ensureTable(soci::session& session);
  std::vector<MigrationState> statusOn(soci::session& session);
  bool tableExists(soci::session& session);

  Database& db_;
  std::vector<Migration> migrations_;
};

std::string sha256Hex(const std::string& data);

}  // namespace baraza
