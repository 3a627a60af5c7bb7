#include "security/key_rotation.h"

#include <cstdlib>

#include "tenancy/audit.h"

namespace baraza {

const std::vector<SealedColumn>& sealedColumns() {
  static const std::vector<SealedColumn> columns = {
      {"channel_accounts", "access_token_sealed", "channel_account"},
      {"channel_accounts", "verify_token_sealed", "channel_account"},
      {"tenant_ai_providers", "api_key_sealed", "ai_provider"},
  };
  return columns;
}

RotationResult rotateKeys(Database& db, const std::string& key_file) {
  if (const char* env = std::getenv("BARAZA_MASTER_KEY"); env && *env) {
    throw KeyError("keys rotate needs the key file: unset BARAZA_MASTER_KEY and use " + key_file);
  }
  KeyFileLock lock(key_file, true);  // one rotation at a time, and no import sealing meanwhile
  KeyRing ring = KeyRing::loadOrCreate(key_file);
  std::vector<std::string> old_ids;
  for (const auto& id : ring.ids()) {
    if (!ring.isRetired(id))
      old_ids.push_back(id);
  }
  RotationResult result;
  result.new_key_id = ring.addKey();
  ring.save(key_file);  // 1. the new key is safe on disk before any value depends on it
  Sealer sealer(ring);

  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    soci::session& sql = tx.sql();
    for (const auto& [table, column, target] : sealedColumns()) {
      std::vector<std::tuple<std::string, std::string, std::string>> values;
      soci::rowset<soci::row> rows =
          (sql.prepare << "SELECT CAST(tenant_id AS TEXT), CAST(id AS TEXT), " + column + " FROM " +
                              table + " WHERE " + column + " IS NOT NULL");
      for (const auto& r : rows) {
        values.emplace_back(r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2));
      }
      for (const auto& [tenant, id, sealed] : values) {
        SealContext ctx{tenant, table, id, column};
        std::string error;
        auto plain = sealer.open(sealed, ctx, &error);
        if (!plain) {
          throw KeyError(table + "." + column + " of tenant " + tenant + " row " + id +
                         " does not open: " + error);
        }
        std::string fresh = sealer.seal(*plain, ctx);
        sql << "UPDATE " + table + " SET " + column + " = :v WHERE tenant_id = :t AND id = :i",
            soci::use(fresh), soci::use(tenant), soci::use(id);
        writeAudit(sql, tenant, "cli:keys-rotate", "reseal_credential", target, id,
                   {{"column", column}, {"key", result.new_key_id}});
        ++result.resealed;
      }
    }
    tx.commit();  // 2. every value is under the new key (a throw above rolled it back)
  }
  for (const auto& id : old_ids)
    ring.retire(id);
  ring.save(key_file);  // 3. the old keys may no longer open anything
  result.retired = old_ids;
  return result;
}

}  // namespace baraza
