// /tenants/{tenant}/settings: seed 001's bot_control_settings, every column.
#include "admin/admin_support.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

HttpResponse showSettings(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  return jsonReply(200, readSettings(tx.sql(), r.tenant->id));
}

// PATCH: the fields given change, the others stay.
HttpResponse changeSettings(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  json before = readSettings(sql, r.tenant->id);
  std::vector<std::string> names;
  for (const auto& [name, value] : before.items())
    names.push_back(name);
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, names, error);
  if (!body)
    return *error;
  json after = before;
  for (const auto& [name, value] : body->items()) {
    const json& old = before[name];
    bool same_type = (old.is_boolean() && value.is_boolean()) ||
                     (old.is_number_integer() && value.is_number_integer()) ||
                     (old.is_string() && value.is_string());
    if (!same_type) {
      return invalidField(name, old.is_boolean()          ? "must be true or false"
                                : old.is_number_integer() ? "must be a whole number"
                                                          : "must be a string");
    }
    after[name] = value;
  }
  if (auto problem = checkSettings(after))
    return invalidField(problem->field, problem->problem);
  writeSettings(sql, r.tenant->id, after);
  markConfigChanged(sql, r.tenant->id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "settings", r.tenant->slug, after,
             before);
  tx.commit();
  return jsonReply(200, after);
}

}  // namespace

void addSettingsRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/settings", Access::kAnyCaller, showSettings});
  routes.push_back({"PATCH", "tenants/{tenant}/settings", Access::kAnyCaller, changeSettings});
}

}  // namespace baraza::admin
