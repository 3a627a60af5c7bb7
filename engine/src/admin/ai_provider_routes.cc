// /tenants/{tenant}/ai-providers: the tenant's own AI chain (docs/answers.md). Keys are
// write-only: responses and the audit log say whether one is set, never what it is.
#include <algorithm>
#include <set>

#include "admin/admin_support.h"
#include "core/uuid.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

constexpr size_t kMaxProviders = 10;

struct StoredProvider {
  std::string id, name, model;
  bool has_key = false;
};

std::vector<StoredProvider> storedProviders(soci::session& sql, const std::string& tenant) {
  std::vector<StoredProvider> out;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT CAST(id AS TEXT), name, COALESCE(model, ''), CASE WHEN "
                      "api_key_sealed IS NULL THEN 0 ELSE 1 END FROM tenant_ai_providers WHERE "
                      "tenant_id = :t ORDER BY position",
       soci::use(tenant));
  for (const auto& r : rows)
    out.push_back(
        {r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2), rowInt(r, 3) != 0});
  return out;
}

json providersJson(const std::vector<StoredProvider>& providers) {
  json list = json::array();
  for (const auto& p : providers) {
    list.push_back({{"name", p.name},
                    {"model", p.model.empty() ? json() : json(p.model)},
                    {"api_key", p.has_key ? json("********") : json()}});
  }
  return {{"providers", list}};
}

HttpResponse listProviders(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  return jsonReply(200, providersJson(storedProviders(tx.sql(), r.tenant->id)));
}

// Replaces the list: {"providers": [{"name", "model"?, "api_key"?}]}. A provider already in the
// list keeps its key unless a new one is given ("api_key": null removes it).
HttpResponse replaceProviders(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"providers"}, error);
  if (!body)
    return *error;
  if (!body->contains("providers") || !(*body)["providers"].is_array())
    return invalidField("providers", "a list of {name, model, api_key}");
  const json& list = (*body)["providers"];
  if (list.size() > kMaxProviders)
    return invalidField("providers", "at most 10 providers");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    const json& p = list[i];
    std::string field = "providers[" + std::to_string(i) + "]";
    if (!p.is_object())
      return invalidField(field, "must be an object");
    for (const auto& [key, value] : p.items()) {
      if (key != "name" && key != "model" && key != "api_key")
        return invalidField(field + "." + key, "is not a provider field");
      if (!value.is_string() && !(key == "api_key" && value.is_null()))
        return invalidField(field + "." + key, "must be a string");
    }
    std::string name = p.value("name", "");
    if (!isProviderName(name))
      return invalidField(field + ".name", "must be 1-32 characters of [a-z0-9_]");
    if (!names.insert(name).second)
      return invalidField(field + ".name", "is listed twice");
    if (p.value("model", "").size() > 200)
      return invalidField(field + ".model", "must be at most 200 characters");
    if (p.contains("api_key") && p["api_key"].is_string()) {
      const std::string key = p["api_key"];
      if (key.empty() || key.size() > 4096 ||
          key.find_first_of(std::string("\r\n\t\0", 4)) != std::string::npos)
        return invalidField(field + ".api_key", "must be 1-4096 characters on one line");
    }
  }

  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  auto before = storedProviders(sql, r.tenant->id);
  // Positions are unique: park the kept rows out of the way first.
  sql << "UPDATE tenant_ai_providers SET position = position + 1000 WHERE tenant_id = :t",
      soci::use(r.tenant->id);
  for (size_t i = 0; i < list.size(); ++i) {
    const json& p = list[i];
    std::string name = p["name"], model = p.value("model", "");
    int position = static_cast<int>(i);
    soci::indicator mi = model.empty() ? soci::i_null : soci::i_ok;
    auto old = std::find_if(before.begin(), before.end(),
                            [&](const StoredProvider& s) { return s.name == name; });
    std::string id = old != before.end() ? old->id : newUuid();
    if (old == before.end()) {
      sql << "INSERT INTO tenant_ai_providers (tenant_id, id, position, name, model) VALUES (:t, "
             ":i, :p, :n, :m)",
          soci::use(r.tenant->id), soci::use(id), soci::use(position), soci::use(name),
          soci::use(model, mi);
    } else {
      sql << "UPDATE tenant_ai_providers SET position = :p, model = :m WHERE tenant_id = :t AND "
             "CAST(id AS TEXT) = :i",
          soci::use(position), soci::use(model, mi), soci::use(r.tenant->id), soci::use(id);
    }
    if (p.contains("api_key")) {
      std::string sealed;
      soci::indicator ki = soci::i_null;
      if (p["api_key"].is_string()) {
        sealed = r.deps.sealer.seal(p["api_key"].get<std::string>(),
                                    {r.tenant->id, "tenant_ai_providers", id, "api_key_sealed"});
        ki = soci::i_ok;
      }
      sql << "UPDATE tenant_ai_providers SET api_key_sealed = :k WHERE tenant_id = :t AND "
             "CAST(id AS TEXT) = :i",
          soci::use(sealed, ki), soci::use(r.tenant->id), soci::use(id);
    }
  }
  sql << "DELETE FROM tenant_ai_providers WHERE tenant_id = :t AND position >= 1000",
      soci::use(r.tenant->id);
  markConfigChanged(sql, r.tenant->id);
  json after = providersJson(storedProviders(sql, r.tenant->id));
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "ai_providers", r.tenant->slug, after,
             providersJson(before));
  tx.commit();
  return jsonReply(200, after);
}

}  // namespace

void addAiProviderRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/ai-providers", Access::kAnyCaller, listProviders});
  routes.push_back({"PUT", "tenants/{tenant}/ai-providers", Access::kAnyCaller, replaceProviders});
}

}  // namespace baraza::admin
