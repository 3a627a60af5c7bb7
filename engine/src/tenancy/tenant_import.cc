#include "tenancy/tenant_import.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "scripting/script_lint.h"
#include "scripting/script_store.h"

#include <map>

#include <nlohmann/json.hpp>

#include "core/uuid.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_store.h"

namespace baraza {
namespace {

// Finds a row's id by one text column; "" when there is none.
std::string findId(soci::session& sql, const std::string& query, const std::string& value) {
  std::string id;
  soci::indicator ind = soci::i_null;
  sql << query, soci::use(value), soci::into(id, ind);
  return sql.got_data() && ind == soci::i_ok ? id : "";
}

std::string upsertOrganization(soci::session& sql, Dialect d, const TenantSpec& spec) {
  if (spec.organization.empty())
    return "";
  std::string id =
      findId(sql, "SELECT CAST(id AS TEXT) FROM organizations WHERE slug = :s", spec.organization);
  std::string name = spec.organization_name.empty() ? spec.organization : spec.organization_name;
  if (id.empty()) {
    id = newUuid();
    sql << "INSERT INTO organizations (id, slug, name) VALUES (:i, :s, :n)", soci::use(id),
        soci::use(spec.organization), soci::use(name);
  } else if (!spec.organization_name.empty()) {
    sql << std::string("UPDATE organizations SET name = :n, updated_at = ") + sqlNow(d) +
               " WHERE id = :i",
        soci::use(name), soci::use(id);
  }
  return id;
}

}  // namespace

ImportResult importTenant(Database& db, const Sealer& sealer, const TenantSpec& spec,
                          const std::string& actor) {
  // The script is read and checked before the database is touched.
  std::string script_source, script_path;
  if (!spec.script.empty()) {
    std::filesystem::path path = std::filesystem::path(spec.file).parent_path() / spec.script;
    script_path = std::filesystem::absolute(path).lexically_normal().string();
    std::ifstream in(path, std::ios::binary);
    if (!in)
      throw ConfigError(spec.file + ": script: cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    script_source = text.str();
    LintReport lint = lintScript(script_source, path.filename().string(), SandboxLimits{});
    if (!lint.ok)
      throw ConfigError(spec.file + ": script: " + lint.error);
  }
  // Across tenants: a number must be checked against every tenant's accounts.
  TenantScope tx(db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  const Dialect d = db.dialect();
  ImportResult result;
  nlohmann::json before;  // null for a new tenant

  std::string org_id = upsertOrganization(sql, d, spec);
  soci::indicator org_ind = org_id.empty() ? soci::i_null : soci::i_ok;
  int active = spec.active ? 1 : 0;
  result.tenant_id = findId(sql, "SELECT CAST(id AS TEXT) FROM tenants WHERE slug = :s", spec.slug);
  if (result.tenant_id.empty()) {
    result.created = true;
    result.tenant_id = newUuid();
    sql << "INSERT INTO tenants (id, slug, name, active, organization_id) "
           "VALUES (:i, :s, :n, :a, :o)",
        soci::use(result.tenant_id), soci::use(spec.slug), soci::use(spec.name), soci::use(active),
        soci::use(org_id, org_ind);
  } else {
    before = tenantSummary(sql, result.tenant_id);
    sql << std::string(
               "UPDATE tenants SET name = :n, active = :a, organization_id = :o, "
               "updated_at = ") +
               sqlNow(d) + " WHERE id = :i",
        soci::use(spec.name), soci::use(active), soci::use(org_id, org_ind),
        soci::use(result.tenant_id);
  }
  const std::string& tenant = result.tenant_id;

  // Channel accounts: a number belongs to one tenant on the whole server.
  std::string bool_false = d == Dialect::kSqlite ? "0" : "FALSE";
  sql << "UPDATE channel_accounts SET active = " + bool_false + " WHERE tenant_id = :t",
      soci::use(tenant);
  for (const auto& ch : spec.channels) {
    auto owner = channelOwner(sql, ch.type, ch.phone_number_id);
    if (owner && owner->first != tenant) {
      std::string other =
          findId(sql, "SELECT slug FROM tenants WHERE CAST(id AS TEXT) = :i", owner->first);
      throw StorageError(spec.file + ": phone_number_id " + ch.phone_number_id +
                         " already belongs to tenant '" + other + "'");
    }
    if (owner) {
      updateChannel(sql, d, sealer, tenant, owner->second,
                    ChannelPatch{ch.display_phone_number, ch.waba_id, ch.access_token,
                                 ch.verify_token, ch.token_expires_at, true, ch.app});
    } else {
      insertChannel(sql, sealer, tenant, ch);
    }
    ++result.channels;
  }

  writeSettings(sql, tenant, spec.settings);

  // Templates and knowledge: the file is the truth, but rows keep their ids (messages refer to
  // knowledge entries): matched by template name and by (type, question), updated in place,
  // inserted when new, deleted when the file no longer has them.
  std::multimap<std::string, std::string> old_templates;  // name -> id
  {
    soci::rowset<soci::row> rows = (sql.prepare << "SELECT name, CAST(id AS TEXT) FROM "
                                                   "prompt_templates WHERE tenant_id = :t",
                                    soci::use(tenant));
    for (const auto& r : rows)
      old_templates.emplace(r.get<std::string>(0), r.get<std::string>(1));
  }
  for (const auto& tp : spec.templates) {
    auto found = old_templates.find(tp.name);
    if (found != old_templates.end()) {
      updateTemplate(sql, d, tenant, found->second, tp);
      old_templates.erase(found);
    } else {
      insertTemplate(sql, tenant, tp);
    }
    ++result.templates;
  }
  for (const auto& [name, id] : old_templates) {
    sql << "DELETE FROM prompt_templates WHERE tenant_id = :t AND id = :i", soci::use(tenant),
        soci::use(id);
  }

  std::multimap<std::string, std::string> old_knowledge;  // type + '\x1f' + question -> id
  {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT data_type, question, CAST(id AS TEXT) FROM knowledge_entries "
                        "WHERE tenant_id = :t ORDER BY created_at, id",
         soci::use(tenant));
    for (const auto& r : rows) {
      old_knowledge.emplace(r.get<std::string>(0) + '\x1f' + r.get<std::string>(1),
                            r.get<std::string>(2));
    }
  }
  for (const auto& k : spec.knowledge) {
    auto found = old_knowledge.find(k.data_type + '\x1f' + k.question);
    if (found != old_knowledge.end()) {
      updateKnowledge(sql, d, tenant, found->second, k);
      old_knowledge.erase(found);
    } else {
      insertKnowledge(sql, tenant, k);
    }
    ++result.knowledge;
  }
  for (const auto& [key, id] : old_knowledge) {
    sql << "DELETE FROM knowledge_entries WHERE tenant_id = :t AND id = :i", soci::use(tenant),
        soci::use(id);
  }
  // AI providers: the file's list replaces the stored one; keys are sealed to their row.
  sql << "DELETE FROM tenant_ai_providers WHERE tenant_id = :t", soci::use(tenant);
  for (size_t i = 0; i < spec.ai_providers.size(); ++i) {
    const auto& p = spec.ai_providers[i];
    std::string id = newUuid();
    int position = static_cast<int>(i);
    std::string sealed =
        p.api_key.empty()
            ? std::string()
            : sealer.seal(p.api_key, {tenant, "tenant_ai_providers", id, "api_key_sealed"});
    soci::indicator mi = p.model.empty() ? soci::i_null : soci::i_ok;
    soci::indicator ki = sealed.empty() ? soci::i_null : soci::i_ok;
    sql << "INSERT INTO tenant_ai_providers (tenant_id, id, position, name, model, "
           "api_key_sealed) VALUES (:t, :i, :p, :n, :m, :k)",
        soci::use(tenant), soci::use(id), soci::use(position), soci::use(p.name),
        soci::use(p.model, mi), soci::use(sealed, ki);
  }
  if (!script_source.empty()) {
    // A new version only when the file changed: importing again changes nothing.
    auto current = activeScriptVersion(sql, tenant);
    if (!current || current->source != script_source) {
      result.script_version =
          insertScriptVersion(sql, tenant, script_source, script_path, "imported", actor);
      activateScriptVersion(sql, tenant, result.script_version);  // audited in the summary
    }
  }
  markConfigChanged(sql, tenant);

  // Who changed what; secrets appear only as "sealed".
  writeAudit(sql, tenant, actor, result.created ? "create" : "update", "tenant", spec.slug,
             tenantSummary(sql, tenant), before);
  tx.commit();
  return result;
}

}  // namespace baraza
