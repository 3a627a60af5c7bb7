#include "scripting/script_store.h"

#include "core/iso_time.h"
#include "storage/database.h"
#include "storage/migrator.h"
#include "tenancy/tenant_store.h"

namespace baraza {
namespace {

constexpr const char* kColumns =
    "version, sha256, COALESCE(source_path, ''), COALESCE(note, ''), created_by, "
    "CAST(created_at AS TEXT), COALESCE(CAST(activated_at AS TEXT), ''), "
    "COALESCE(CAST(quarantined_at AS TEXT), ''), COALESCE(quarantine_reason, ''), "
    "CASE WHEN active THEN 1 ELSE 0 END";

ScriptVersion fromRow(const soci::row& r) {
  ScriptVersion v;
  v.version = static_cast<int>(rowInt(r, 0));
  v.sha256 = r.get<std::string>(1);
  v.source_path = r.get<std::string>(2);
  v.note = r.get<std::string>(3);
  v.created_by = r.get<std::string>(4);
  v.created_at = r.get<std::string>(5);
  v.activated_at = r.get<std::string>(6);
  v.quarantined_at = r.get<std::string>(7);
  v.quarantine_reason = r.get<std::string>(8);
  v.active = rowInt(r, 9) != 0;
  return v;
}

}  // namespace

int insertScriptVersion(soci::session& sql, const std::string& tenant_id, const std::string& source,
                        const std::string& source_path, const std::string& note,
                        const std::string& created_by) {
  int version = 0;
  sql << "SELECT COALESCE(MAX(version), 0) + 1 FROM tenant_scripts WHERE tenant_id = :t",
      soci::use(tenant_id), soci::into(version);
  std::string sha = sha256Hex(source), now = isoNowMicros();
  soci::indicator pi = source_path.empty() ? soci::i_null : soci::i_ok;
  soci::indicator ni = note.empty() ? soci::i_null : soci::i_ok;
  sql << "INSERT INTO tenant_scripts (tenant_id, version, source, sha256, source_path, note, "
         "created_by, created_at) VALUES (:t, :v, :s, :h, :p, :n, :b, :c)",
      soci::use(tenant_id), soci::use(version), soci::use(source), soci::use(sha),
      soci::use(source_path, pi), soci::use(note, ni), soci::use(created_by), soci::use(now);
  return version;
}

bool activateScriptVersion(soci::session& sql, const std::string& tenant_id, int version) {
  int found = 0;
  sql << "SELECT COUNT(*) FROM tenant_scripts WHERE tenant_id = :t AND version = :v",
      soci::use(tenant_id), soci::use(version), soci::into(found);
  if (found == 0)
    return false;
  std::string now = isoNowMicros();
  sql << "UPDATE tenant_scripts SET active = FALSE WHERE tenant_id = :t AND active",
      soci::use(tenant_id);
  sql << "UPDATE tenant_scripts SET active = TRUE, activated_at = :n, quarantined_at = NULL, "
         "quarantine_reason = NULL WHERE tenant_id = :t AND version = :v",
      soci::use(now), soci::use(tenant_id), soci::use(version);
  markConfigChanged(sql, tenant_id);
  return true;
}

bool deactivateScripts(soci::session& sql, const std::string& tenant_id) {
  int active = 0;
  sql << "SELECT COUNT(*) FROM tenant_scripts WHERE tenant_id = :t AND active",
      soci::use(tenant_id), soci::into(active);
  if (active == 0)
    return false;
  sql << "UPDATE tenant_scripts SET active = FALSE WHERE tenant_id = :t AND active",
      soci::use(tenant_id);
  markConfigChanged(sql, tenant_id);
  return true;
}

void quarantineScriptVersion(soci::session& sql, const std::string& tenant_id, int version,
                             const std::string& reason) {
  std::string now = isoNowMicros(), text = reason.substr(0, 2000);
  sql << "UPDATE tenant_scripts SET quarantined_at = :n, quarantine_reason = :r WHERE "
         "tenant_id = :t AND version = :v AND quarantined_at IS NULL",
      soci::use(now), soci::use(text), soci::use(tenant_id), soci::use(version);
  markConfigChanged(sql, tenant_id);
}

std::optional<ScriptVersion> getScriptVersion(soci::session& sql, const std::string& tenant_id,
                                              int version) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string("SELECT ") + kColumns +
                          ", source FROM tenant_scripts WHERE tenant_id = :t AND version = :v",
       soci::use(tenant_id), soci::use(version));
  for (const auto& r : rows) {
    ScriptVersion v = fromRow(r);
    v.source = r.get<std::string>(10);
    return v;
  }
  return std::nullopt;
}

std::optional<ScriptVersion> activeScriptVersion(soci::session& sql, const std::string& tenant_id) {
  int version = 0;
  soci::indicator vi = soci::i_null;
  sql << "SELECT version FROM tenant_scripts WHERE tenant_id = :t AND active", soci::use(tenant_id),
      soci::into(version, vi);
  if (!sql.got_data() || vi != soci::i_ok)
    return std::nullopt;
  return getScriptVersion(sql, tenant_id, version);
}

std::vector<ScriptVersion> listScriptVersions(soci::session& sql, const std::string& tenant_id,
                                              int before, int limit) {
  if (before <= 0)
    before = 2147483647;
  std::vector<ScriptVersion> out;
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string("SELECT ") + kColumns +
                          " FROM tenant_scripts WHERE tenant_id = :t AND version < :b ORDER BY "
                          "version DESC LIMIT :n",
       soci::use(tenant_id), soci::use(before), soci::use(limit));
  for (const auto& r : rows)
    out.push_back(fromRow(r));
  return out;
}

}  // namespace baraza
