#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "storage/database.h"
#include "storage/migrator.h"

namespace baraza {

std::vector<Migration> configuredMigrations(const EngineConfig& config, Dialect dialect) {
  return config.database.migrations_dir.empty()
             ? embeddedMigrations(dialect)
             : loadMigrationDir(config.database.migrations_dir, dialect);
}

int migrateCommand(const EngineConfig& config, bool status_only) {
  Database db(config.database.url, 1, std::chrono::milliseconds(config.database.lease_timeout_ms));
  Migrator migrator(db, configuredMigrations(config, db.dialect()));
  if (status_only) {
    for (const auto& s : migrator.status()) {
      std::printf("%04d  %-32s %s%s\n", s.migration.version, s.migration.name.c_str(),
                  s.modified ? "MODIFIED since applied " : (s.applied ? "applied " : "pending"),
                  s.applied_at.c_str());
    }
    return 0;
  }
  int applied = migrator.apply();
  std::printf("%d migration(s) applied to %s\n", applied, db.displayUrl().c_str());
  return 0;
}

}  // namespace baraza
