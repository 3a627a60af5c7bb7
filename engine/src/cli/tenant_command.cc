#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "cli/commands.h"
#include "security/key_rotation.h"
#include "security/sealer.h"
#include "storage/migrator.h"
#include "tenancy/tenant_import.h"

namespace baraza {

std::vector<Migration> configuredMigrations(const EngineConfig& config, Dialect dialect);

int tenantImportCommand(const EngineConfig& config, const std::vector<std::string>& files) {
  Database db(config.database.url, 1, std::chrono::milliseconds(config.database.lease_timeout_ms));
  Migrator(db, configuredMigrations(config, db.dialect())).apply();
  // Shared with other imports, exclusive against a rotation: nothing is sealed under a key that
  // a concurrent rotation retires.
  std::optional<KeyFileLock> lock;
  if (!std::getenv("BARAZA_MASTER_KEY"))
    lock.emplace(config.master_key_file, false);
  Sealer sealer = Sealer::fromEnvironmentOrFile(config.master_key_file);
  for (const auto& file : files) {
    TenantSpec spec = readTenantFile(file);  // all checks before the database is touched
    ImportResult r = importTenant(db, sealer, spec, "cli:tenant-import");
    std::string script =
        r.script_version > 0 ? ", script v" + std::to_string(r.script_version) + " active" : "";
    std::printf("%s: %s (%d channel(s), %d template(s), %d knowledge entries%s)\n",
                spec.slug.c_str(), r.created ? "created" : "updated", r.channels, r.templates,
                r.knowledge, script.c_str());
  }
  return 0;
}

int keysRotateCommand(const EngineConfig& config) {
  Database db(config.database.url, 1, std::chrono::milliseconds(config.database.lease_timeout_ms));
  Migrator(db, configuredMigrations(config, db.dialect())).apply();
  RotationResult r = rotateKeys(db, config.master_key_file);
  std::string retired;
  for (const auto& id : r.retired)
    retired += (retired.empty() ? "" : ", ") + id;
  std::printf("%d value(s) re-sealed under key %s; retired: %s\n", r.resealed, r.new_key_id.c_str(),
              retired.empty() ? "none" : retired.c_str());
  return 0;
}

}  // namespace baraza
