// /organizations: owners of several tenants (seed 004). The operator manages them; a tenant key
// sees its own tenant's organization, listing only its own tenant.
#include "admin/admin_support.h"
#include "admin/api_keys.h"
#include "core/uuid.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

struct Organization {
  std::string id, slug, name;
};

// The organization `slug` if the caller may see it.
std::optional<Organization> visibleOrganization(AdminRequest& r, soci::session& sql,
                                                const std::string& slug) {
  Organization o;
  sql << "SELECT CAST(id AS TEXT), slug, name FROM organizations WHERE slug = :s", soci::use(slug),
      soci::into(o.id), soci::into(o.slug), soci::into(o.name);
  if (!sql.got_data())
    return std::nullopt;
  if (!r.caller.organization_id.empty())
    return r.caller.organization_id == o.id ? std::optional(o) : std::nullopt;
  if (!r.caller.is_operator) {
    long long mine = 0;
    sql << "SELECT COUNT(*) FROM tenants WHERE CAST(id AS TEXT) = :t AND "
           "CAST(organization_id AS TEXT) = :o",
        soci::use(r.caller.tenant_id), soci::use(o.id), soci::into(mine);
    if (mine == 0)
      return std::nullopt;
  }
  return o;
}

json organizationJson(AdminRequest& r, soci::session& sql, const Organization& o) {
  json tenants = json::array();
  std::string only = r.caller.tenant_id;  // a tenant key sees only its own tenant
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT slug FROM tenants WHERE CAST(organization_id AS TEXT) = :o AND "
                      "(:only = '' OR CAST(id AS TEXT) = :only2) ORDER BY slug",
       soci::use(o.id), soci::use(only), soci::use(only));
  for (const auto& row : rows)
    tenants.push_back(row.get<std::string>(0));
  return {{"slug", o.slug}, {"name", o.name}, {"tenants", tenants}};
}

HttpResponse listOrganizations(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 1, page))
    return *bad;
  long long limit = page.limit;
  const auto* cursor = &page.after;
  std::string after = cursor->empty() ? "" : (*cursor)[0];
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  std::vector<Organization> found;
  {
    std::string only = r.caller.tenant_id, own = r.caller.organization_id;
    long long fetch = limit + 1;
    soci::rowset<soci::row> rows =
        (tx.sql().prepare
             << "SELECT CAST(o.id AS TEXT), o.slug, o.name FROM organizations o "
                "WHERE o.slug > :c AND (:only = '' OR EXISTS (SELECT 1 FROM tenants "
                "t WHERE t.organization_id = o.id AND CAST(t.id AS TEXT) = :only2)) "
                "AND (:own = '' OR CAST(o.id AS TEXT) = :own2) ORDER BY o.slug LIMIT :n",
         soci::use(after), soci::use(only), soci::use(only), soci::use(own), soci::use(own),
         soci::use(fetch));
    for (const auto& row : rows)
      found.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2)});
  }
  json list = json::array();
  std::string next;
  for (const auto& o : found) {
    if (static_cast<long long>(list.size()) == limit) {
      next = encodeCursor({list.back()["slug"].get<std::string>()});
      break;
    }
    list.push_back(organizationJson(r, tx.sql(), o));
  }
  return jsonReply(200,
                   {{"organizations", list}, {"next_cursor", next.empty() ? json() : json(next)}});
}

HttpResponse createOrganization(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"slug", "name"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  Organization o{newUuid(), f.text("slug"), f.text("name")};
  if (auto bad = f.error())
    return *bad;
  if (!isSlug(o.slug))
    return invalidField("slug", "1-63 characters of [a-z0-9-], not starting with -");
  if (o.name.empty() || o.name.size() > 200)
    return invalidField("name", "is required: 1 to 200 characters");
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  long long taken = 0;
  sql << "SELECT COUNT(*) FROM organizations WHERE slug = :s", soci::use(o.slug), soci::into(taken);
  if (taken)
    return jsonError(409, "conflict", "slug: an organization '" + o.slug + "' exists already");
  sql << "INSERT INTO organizations (id, slug, name) VALUES (:i, :s, :n)", soci::use(o.id),
      soci::use(o.slug), soci::use(o.name);
  json created = organizationJson(r, sql, o);
  writeOperatorAudit(sql, r.caller.actor, "create", "organization", o.slug, created);
  tx.commit();
  return jsonReply(201, created);
}

HttpResponse showOrganization(AdminRequest& r) {
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  auto o = visibleOrganization(r, tx.sql(), r.params[0]);
  if (!o)
    return notFound("no organization '" + r.params[0] + "'");
  return jsonReply(200, organizationJson(r, tx.sql(), *o));
}

HttpResponse changeOrganization(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"name"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  std::string name = f.text("name");
  if (auto bad = f.error())
    return *bad;
  if (name.empty() || name.size() > 200)
    return invalidField("name", "is required: 1 to 200 characters");
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  auto o = visibleOrganization(r, sql, r.params[0]);
  if (!o)
    return notFound("no organization '" + r.params[0] + "'");
  json before = organizationJson(r, sql, *o);
  sql << std::string("UPDATE organizations SET name = :n, updated_at = ") +
             sqlNow(r.deps.db.dialect()) + " WHERE CAST(id AS TEXT) = :i",
      soci::use(name), soci::use(o->id);
  o->name = name;
  json after = organizationJson(r, sql, *o);
  writeOperatorAudit(sql, r.caller.actor, "update", "organization", o->slug, after, before);
  tx.commit();
  return jsonReply(200, after);
}

HttpResponse deleteOrganization(AdminRequest& r) {
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  auto o = visibleOrganization(r, sql, r.params[0]);
  if (!o)
    return notFound("no organization '" + r.params[0] + "'");
  json before = organizationJson(r, sql, *o);
  if (!before["tenants"].empty()) {
    return jsonError(409, "conflict",
                     "organization '" + o->slug + "' still has tenants; move them first");
  }
  sql << "DELETE FROM organizations WHERE CAST(id AS TEXT) = :i", soci::use(o->id);
  writeOperatorAudit(sql, r.caller.actor, "delete", "organization", o->slug, nullptr, before);
  tx.commit();
  return noContent();
}

// POST /organizations/{org}/api-keys {name}: an organization-scoped key, shown once. Operator
// only, like tenants' keys.
HttpResponse createOrganizationApiKey(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto key_name = readKeyName(r.http, error);
  if (!key_name)
    return *error;
  const std::string& name = *key_name;
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  auto o = visibleOrganization(r, sql, r.params[0]);
  if (!o)
    return notFound("no organization '" + r.params[0] + "'");
  NewApiKey k = createOrganizationKey(sql, o->id, name);
  writeOperatorAudit(sql, r.caller.actor, "create", "organization_api_key", k.id,
                     {{"organization", o->slug}, {"name", name}, {"prefix", k.prefix}});
  tx.commit();
  return jsonReply(201, {{"id", k.id},
                         {"organization", o->slug},
                         {"name", name},
                         {"prefix", k.prefix},
                         {"key", k.key},
                         {"note", "the key is shown once; only its hash is stored"}});
}

HttpResponse listOrganizationApiKeys(AdminRequest& r) {
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  soci::session& sql = tx.sql();
  auto o = visibleOrganization(r, sql, r.params[0]);
  if (!o)
    return notFound("no organization '" + r.params[0] + "'");
  json keys = json::array();
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT CAST(id AS TEXT), name, prefix, CAST(created_at AS TEXT), CASE WHEN "
                      "revoked_at IS NULL THEN 0 ELSE 1 END FROM organization_api_keys WHERE "
                      "CAST(organization_id AS TEXT) = :o ORDER BY created_at, id",
       soci::use(o->id));
  for (const auto& row : rows) {
    keys.push_back(apiKeyJson(row));
  }
  return jsonReply(200, {{"api_keys", keys}});
}

HttpResponse revokeOrganizationApiKey(AdminRequest& r) {
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  auto o = visibleOrganization(r, sql, r.params[0]);
  if (!o)
    return notFound("no organization '" + r.params[0] + "'");
  const std::string& id = r.params[1];
  std::string name, prefix;
  sql << "SELECT name, prefix FROM organization_api_keys WHERE CAST(organization_id AS TEXT) = :o "
         "AND CAST(id AS TEXT) = :i AND revoked_at IS NULL",
      soci::use(o->id), soci::use(id), soci::into(name), soci::into(prefix);
  if (!sql.got_data())
    return notFound("no active API key '" + id + "'");
  sql << std::string("UPDATE organization_api_keys SET revoked_at = ") +
             sqlNow(r.deps.db.dialect()) +
             " WHERE CAST(organization_id AS TEXT) = :o AND CAST(id AS TEXT) = :i",
      soci::use(o->id), soci::use(id);
  json before{{"organization", o->slug}, {"name", name}, {"prefix", prefix}, {"revoked", false}};
  json after = before;
  after["revoked"] = true;
  writeOperatorAudit(sql, r.caller.actor, "revoke", "organization_api_key", id, after, before);
  tx.commit();
  return noContent();
}

// GET /audit: the operator's own log (organizations), newest first.
HttpResponse operatorAudit(AdminRequest& r) {
  long long limit = 0;
  if (auto bad = readLimit(r.http, 100, 1000, limit))
    return *bad;
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  std::optional<HttpResponse> error;
  json page = auditPage(r, tx.sql(), "operator_audit_log", "", limit, error);
  return error ? *error : jsonReply(200, page);
}

}  // namespace

void addOrganizationRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "organizations", Access::kAnyCaller, listOrganizations});
  routes.push_back({"POST", "organizations", Access::kOperatorOnly, createOrganization});
  routes.push_back({"GET", "organizations/{org}", Access::kAnyCaller, showOrganization});
  routes.push_back({"PATCH", "organizations/{org}", Access::kOperatorOnly, changeOrganization});
  routes.push_back({"DELETE", "organizations/{org}", Access::kOperatorOnly, deleteOrganization});
  routes.push_back({"GET", "audit", Access::kOperatorOnly, operatorAudit});
  routes.push_back(
      {"POST", "organizations/{org}/api-keys", Access::kOperatorOnly, createOrganizationApiKey});
  routes.push_back(
      {"GET", "organizations/{org}/api-keys", Access::kOperatorOnly, listOrganizationApiKeys});
  routes.push_back({"DELETE", "organizations/{org}/api-keys/{id}", Access::kOperatorOnly,
                    revokeOrganizationApiKey});
}

}  // namespace baraza::admin
