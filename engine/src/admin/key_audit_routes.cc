// /tenants/{tenant}/api-keys, /tenants/{tenant}/audit, /alerts and /session.
#include "admin/admin_support.h"
#include "admin/api_keys.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_store.h"
#include "tenancy/token_expiry.h"

namespace baraza::admin {
namespace {

// POST: operator only, so a leaked key cannot mint its successor before it is revoked.
HttpResponse createKey(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto key_name = readKeyName(r.http, error);
  if (!key_name)
    return *error;
  const std::string& name = *key_name;
  TenantScope scope(r.deps.db, r.tenant->id, true);
  soci::session& sql = scope.sql();
  NewApiKey k = createApiKey(sql, r.tenant->id, name);
  writeAudit(sql, r.tenant->id, r.caller.actor, "create", "api_key", k.id,
             {{"name", name}, {"prefix", k.prefix}});
  scope.commit();
  return jsonReply(201, {{"id", k.id},
                         {"name", name},
                         {"prefix", k.prefix},
                         {"key", k.key},
                         {"note", "the key is shown once; only its hash is stored"}});
}

HttpResponse listKeys(AdminRequest& r) {
  TenantScope scope(r.deps.db, r.tenant->id);
  json keys = json::array();
  soci::rowset<soci::row> rows =
      (scope.sql().prepare << "SELECT CAST(id AS TEXT), name, prefix, CAST(created_at AS TEXT), "
                              "CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM api_keys "
                              "WHERE tenant_id = :t ORDER BY created_at, id",
       soci::use(r.tenant->id));
  for (const auto& row : rows) {
    keys.push_back(apiKeyJson(row));
  }
  return jsonReply(200, {{"api_keys", keys}});
}

HttpResponse revokeKey(AdminRequest& r) {
  const std::string& id = r.params[1];
  TenantScope scope(r.deps.db, r.tenant->id, true);
  soci::session& sql = scope.sql();
  std::string name, prefix;
  sql << "SELECT name, prefix FROM api_keys WHERE tenant_id = :t AND CAST(id AS TEXT) = :i AND "
         "revoked_at IS NULL",
      soci::use(r.tenant->id), soci::use(id), soci::into(name), soci::into(prefix);
  if (!sql.got_data())
    return notFound("no active API key '" + id + "'");
  sql << std::string("UPDATE api_keys SET revoked_at = ") + sqlNow(r.deps.db.dialect()) +
             " WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(r.tenant->id), soci::use(id);
  json before{{"name", name}, {"prefix", prefix}, {"revoked", false}};
  json after = before;
  after["revoked"] = true;
  writeAudit(sql, r.tenant->id, r.caller.actor, "revoke", "api_key", id, after, before);
  scope.commit();
  return noContent();
}

// GET .../audit?limit=&cursor=&action=&entity=&entity_id=: newest first.
HttpResponse tenantAudit(AdminRequest& r) {
  long long limit = 0;
  if (auto bad = readLimit(r.http, 100, 1000, limit))
    return *bad;
  TenantScope scope(r.deps.db, r.tenant->id);
  std::optional<HttpResponse> error;
  json page = auditPage(r, scope.sql(), "audit_log", r.tenant->id, limit, error);
  return error ? *error : jsonReply(200, page);
}

HttpResponse alerts(AdminRequest& r) {
  json list = json::array();
  // A tenant key's alerts are read inside that tenant's scope, not filtered afterwards.
  std::string scope = r.caller.is_operator ? TenantScope::kAllTenants : r.caller.tenant_id;
  for (const auto& t : expiringTokens(r.deps.db, std::time(nullptr), 14, scope)) {
    list.push_back({{"kind", t.expired ? "token_expired" : "token_expiring"},
                    {"tenant", t.tenant_slug},
                    {"phone_number_id", t.phone_number_id},
                    {"expires_at", t.expires_at},
                    {"days_left", t.days_left}});
  }
  // Quarantined scripts: the tenant's messages get the default behaviour until a new version.
  TenantScope tx(r.deps.db, scope);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << "SELECT t.slug, s.version, CAST(s.quarantined_at AS TEXT), "
                           "COALESCE(s.quarantine_reason, '') FROM tenant_scripts s JOIN tenants t "
                           "ON t.id = s.tenant_id WHERE s.active AND s.quarantined_at IS NOT NULL "
                           "AND (:all = 1 OR CAST(s.tenant_id AS TEXT) = :t) ORDER BY t.slug",
       soci::use(r.caller.is_operator ? 1 : 0), soci::use(scope));
  for (const auto& row : rows) {
    list.push_back({{"kind", "script_quarantined"},
                    {"tenant", row.get<std::string>(0)},
                    {"version", rowInt(row, 1)},
                    {"since", row.get<std::string>(2)},
                    {"reason", row.get<std::string>(3)}});
  }
  return jsonReply(200, {{"alerts", list}});
}

}  // namespace

json auditPage(AdminRequest& r, soci::session& sql, const std::string& table,
               const std::string& tenant_id, long long limit, std::optional<HttpResponse>& error) {
  auto cursor = readCursor(r.http, 2, error, true);
  if (!cursor)
    return nullptr;
  std::string action = r.http.queryParam("action"), entity = r.http.queryParam("entity"),
              entity_id = r.http.queryParam("entity_id");
  std::string text =
      "SELECT CAST(id AS TEXT), actor, action, entity, COALESCE(entity_id, ''), "
      "CAST(before AS TEXT), CAST(after AS TEXT), CAST(created_at AS TEXT) FROM " +
      table +
      " WHERE (:a = '' OR action = :a2) AND (:e = '' OR entity = :e2) AND "
      "(:ei = '' OR entity_id = :ei2)";
  std::vector<std::string> params = {action, action, entity, entity, entity_id, entity_id};
  if (!tenant_id.empty()) {
    text += " AND CAST(tenant_id AS TEXT) = :t";
    params.push_back(tenant_id);
  }
  if (!cursor->empty()) {
    text += " AND (created_at < :c OR (created_at = :c2 AND CAST(id AS TEXT) < :ci))";
    params.insert(params.end(), {(*cursor)[0], (*cursor)[0], (*cursor)[1]});
  }
  text += " ORDER BY created_at DESC, CAST(id AS TEXT) DESC LIMIT :n";
  auto entry = [](const soci::row& row) {
    auto parsed = [&](size_t i) {
      if (row.get_indicator(i) != soci::i_ok)
        return json(nullptr);
      json v = json::parse(row.get<std::string>(i), nullptr, false);
      return v.is_discarded() ? json(nullptr) : v;
    };
    return json{{"id", row.get<std::string>(0)},
                {"actor", row.get<std::string>(1)},
                {"action", row.get<std::string>(2)},
                {"entity", row.get<std::string>(3)},
                {"entity_id", row.get<std::string>(4)},
                {"before", parsed(5)},
                {"after", parsed(6)},
                {"at", row.get<std::string>(7)}};
  };
  json next;
  json entries = fetchPage(sql, text, params, limit, entry, {7, 0}, next);
  return {{"entries", entries}, {"next_cursor", next}};
}

namespace {

// GET /session: what the credential is, so a client (the console) shows what it may reach
// without probing routes for 403s.
HttpResponse whoAmI(AdminRequest& r) {
  const Caller& c = r.caller;
  std::string role = c.is_operator               ? "operator"
                     : c.organization_id.empty() ? "tenant"
                                                 : "organization";
  json out{{"role", role}, {"actor", c.actor}};
  if (!c.is_operator)
    out["key_id"] = c.key_id;
  return jsonReply(200, out);
}

}  // namespace

void addKeyAndAuditRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "session", Access::kAnyCaller, whoAmI});
  routes.push_back({"POST", "tenants/{tenant}/api-keys", Access::kOperatorOnly, createKey});
  routes.push_back({"GET", "tenants/{tenant}/api-keys", Access::kAnyCaller, listKeys});
  routes.push_back({"DELETE", "tenants/{tenant}/api-keys/{id}", Access::kAnyCaller, revokeKey});
  routes.push_back({"GET", "tenants/{tenant}/audit", Access::kAnyCaller, tenantAudit});
  routes.push_back({"GET", "alerts", Access::kAnyCaller, alerts});
}

}  // namespace baraza::admin
