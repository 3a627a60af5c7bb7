#pragma once

#include <string>

#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/tenant_file.h"

namespace baraza {

struct ImportResult {
  std::string tenant_id;
  bool created = false;
  int channels = 0;
  int templates = 0;
  int knowledge = 0;
  int script_version = 0;  // the version activated from the file's script; 0 when unchanged
};

// Creates or updates one tenant from its validated file, in one transaction: the tenant row
// (by slug), its organization, channel accounts (by phone_number_id; tokens sealed; accounts
// no longer listed are deactivated, not deleted), settings, templates and knowledge (replaced by
// the file's), its script (a new active version when the file's text differs from the active
// one; a script that does not load throws ConfigError first), and an audit log entry. Running it
// again with the same file changes nothing a reader can see. Throws StorageError (rolled back) when
// a phone_number_id belongs to another tenant or the database refuses.
ImportResult importTenant(Database& db, const Sealer& sealer, const TenantSpec& spec,
                          const std::string& actor);

}  // namespace baraza
