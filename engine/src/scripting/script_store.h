#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/database.h"

namespace baraza {

struct ScriptVersion {
  int version = 0;
  std::string sha256, source_path, note, created_by, created_at, activated_at;
  std::string quarantined_at, quarantine_reason;
  bool active = false;
  std::string source;  // filled by getScriptVersion only
};

// The tenant_scripts rows (docs/scripting.md, "Lifecycle"). Every function works inside the
// caller's TenantScope; those that change what runs raise the tenant's config generation, so
// every engine process picks up the change within its poll interval.
int insertScriptVersion(soci::session& sql, const std::string& tenant_id, const std::string& source,
                        const std::string& source_path, const std::string& note,
                        const std::string& created_by);
// false when the version does not exist.
bool activateScriptVersion(soci::session& sql, const std::string& tenant_id, int version);
// Leaves the tenant with no active script (scripts/default and built-in behaviour); false when
// none was active.
bool deactivateScripts(soci::session& sql, const std::string& tenant_id);
void quarantineScriptVersion(soci::session& sql, const std::string& tenant_id, int version,
                             const std::string& reason);
std::optional<ScriptVersion> getScriptVersion(soci::session& sql, const std::string& tenant_id,
                                              int version);
std::optional<ScriptVersion> activeScriptVersion(soci::session& sql, const std::string& tenant_id);
// Newest first, versions below `before` (0: from the newest).
std::vector<ScriptVersion> listScriptVersions(soci::session& sql, const std::string& tenant_id,
                                              int before, int limit);

}  // namespace baraza
