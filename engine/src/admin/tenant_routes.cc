// /tenants and /tenants/{tenant}: list, create (operator), show, change.
#include "admin/admin_support.h"
#include "core/uuid.h"
#include "pipeline/clock.h"
#include "pipeline/usage_ledger.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

json tenantJson(soci::session& sql, const std::string& tenant_id) {
  json t = tenantSummary(sql, tenant_id);
  if (t.is_null())
    return t;
  t.erase("access_tokens");
  t["knowledge_entries"] = t["knowledge"];
  t.erase("knowledge");
  return t;
}

// The organization id of `slug`, "" for none; nullopt when there is no such organization.
std::optional<std::string> organizationId(soci::session& sql, const std::string& slug) {
  if (slug.empty())
    return std::string();
  std::string id;
  sql << "SELECT CAST(id AS TEXT) FROM organizations WHERE slug = :s", soci::use(slug),
      soci::into(id);
  if (!sql.got_data())
    return std::nullopt;
  return id;
}

// GET /tenants?limit=&cursor=&active=&organization=&q=
// Today's count `name` of tenant t: its counter and the batches not folded yet (two day
// parameters).
std::string todayCount(const std::string& name) {
  return "COALESCE((SELECT value FROM usage_counters u WHERE u.tenant_id = t.id AND u.scope = "
         "'tenant' AND u.period = :d" +
         name + " AND u.name = '" + name + "'), 0) + COALESCE((SELECT CAST(SUM(" + name +
         ") AS BIGINT) FROM usage_deltas x WHERE x.tenant_id = t.id AND x.day = :x" + name +
         "), 0)";
}

HttpResponse listTenants(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 1, page))
    return *bad;
  long long limit = page.limit;
  const auto* cursor = &page.after;
  std::string after = cursor->empty() ? "" : (*cursor)[0];
  std::string active = r.http.queryParam("active"), org = r.http.queryParam("organization");
  std::string q = r.http.queryParam("q");
  if (!active.empty() && active != "true" && active != "false")
    return invalidField("active", "must be true or false");
  int want_active = active == "true" ? 1 : 0;
  std::string only = r.caller.tenant_id, own = r.caller.organization_id;
  std::string like = "%" + q + "%";
  long long fetch = limit + 1;
  std::string day = periodKey('d', systemNowMs());
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare
           << "SELECT t.slug, t.name, CASE WHEN t.active THEN 1 ELSE 0 END, COALESCE(o.slug, "
              "''), " +
                  todayCount("inbound") + ", " + todayCount("outbound") +
                  " FROM tenants t LEFT JOIN organizations o ON o.id = t.organization_id WHERE "
                  "t.slug > :c AND (:only = '' OR CAST(t.id AS TEXT) = :only2) AND (:a = '' OR "
                  "(CASE "
                  "WHEN t.active THEN 1 ELSE 0 END) = :wa) AND (:o = '' OR o.slug = :o2) AND (:q = "
                  "'' "
                  "OR LOWER(t.name) LIKE LOWER(:l) OR t.slug LIKE LOWER(:l2)) AND (:own = '' OR "
                  "CAST(t.organization_id AS TEXT) = :own2) ORDER BY t.slug LIMIT :n",
       soci::use(day), soci::use(day), soci::use(day), soci::use(day), soci::use(after),
       soci::use(only), soci::use(only), soci::use(active), soci::use(want_active), soci::use(org),
       soci::use(org), soci::use(q), soci::use(like), soci::use(like), soci::use(own),
       soci::use(own), soci::use(fetch));
  json list = json::array();
  std::string next;
  for (const auto& row : rows) {
    if (static_cast<long long>(list.size()) == limit) {
      next = encodeCursor({list.back()["slug"].get<std::string>()});
      break;
    }
    list.push_back({{"slug", row.get<std::string>(0)},
                    {"name", row.get<std::string>(1)},
                    {"active", rowInt(row, 2) != 0},
                    {"organization", row.get<std::string>(3)},
                    {"today", {{"inbound", rowInt(row, 4)}, {"outbound", rowInt(row, 5)}}}});
  }
  return jsonReply(200, {{"tenants", list}, {"next_cursor", next.empty() ? json() : json(next)}});
}

// POST /tenants {slug, name, active, organization}
HttpResponse createTenant(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"slug", "name", "active", "organization"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  std::string slug = f.text("slug"), name = f.text("name"), org = f.text("organization");
  bool active = f.flag("active", true);
  if (auto bad = f.error())
    return *bad;
  if (!isSlug(slug))
    return invalidField("slug", "1-63 characters of [a-z0-9-], not starting with -");
  if (name.empty() || name.size() > 200)
    return invalidField("name", "is required: 1 to 200 characters");
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  auto org_id = organizationId(sql, org);
  if (!org_id)
    return invalidField("organization", "no organization '" + org + "'");
  long long taken = 0;
  sql << "SELECT COUNT(*) FROM tenants WHERE slug = :s", soci::use(slug), soci::into(taken);
  if (taken)
    return jsonError(409, "conflict", "slug: a tenant '" + slug + "' exists already");
  std::string id = newUuid();
  int flag = active ? 1 : 0;
  soci::indicator oi = org_id->empty() ? soci::i_null : soci::i_ok;
  sql << "INSERT INTO tenants (id, slug, name, active, organization_id) VALUES (:i, :s, :n, :a, "
         ":o)",
      soci::use(id), soci::use(slug), soci::use(name), soci::use(flag), soci::use(*org_id, oi);
  writeSettings(sql, id, readSettings(sql, id));  // the defaults, as a file without settings
  markConfigChanged(sql, id);
  json created = tenantJson(sql, id);
  writeAudit(sql, id, r.caller.actor, "create", "tenant", slug, created);
  tx.commit();
  return jsonReply(201, created);
}

// GET /tenants/{tenant}: the tenant with its channel accounts (secrets masked) and counts.
HttpResponse showTenant(AdminRequest& r) {
  const TenantRef& t = *r.tenant;
  TenantScope scope(r.deps.db, t.id);  // row-level security: only this tenant's rows
  json body = tenantJson(scope.sql(), t.id);
  json channels = channelList(scope.sql(), t.id);
  body["channels"] = channels;
  return jsonReply(200, body);
}

// PATCH /tenants/{tenant} {name, active, organization (operator)}
HttpResponse changeTenant(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"name", "active", "organization"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  std::string name = f.text("name", r.tenant->name), org = f.text("organization");
  bool active = f.flag("active", r.tenant->active);
  if (auto bad = f.error())
    return *bad;
  if (name.empty() || name.size() > 200)
    return invalidField("name", "1 to 200 characters");
  if (f.has("organization") && !r.caller.is_operator)
    return forbidden("only the operator token moves a tenant between organizations");
  // Deactivating is the operator's decision (a business that stopped paying, a number under
  // abuse review): a key of the tenant itself, or of its organization, may not undo it.
  if (active != r.tenant->active && !r.caller.is_operator)
    return forbidden("only the operator token activates or deactivates a tenant");
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  json before = tenantJson(sql, r.tenant->id);
  std::string org_id = r.tenant->organization_id;
  if (f.has("organization")) {
    auto id = organizationId(sql, org);
    if (!id)
      return invalidField("organization", "no organization '" + org + "'");
    org_id = *id;
  }
  int flag = active ? 1 : 0;
  soci::indicator oi = org_id.empty() ? soci::i_null : soci::i_ok;
  sql << std::string(
             "UPDATE tenants SET name = :n, active = :a, organization_id = :o, "
             "updated_at = ") +
             sqlNow(r.deps.db.dialect()) + " WHERE CAST(id AS TEXT) = :i",
      soci::use(name), soci::use(flag), soci::use(org_id, oi), soci::use(r.tenant->id);
  markConfigChanged(sql, r.tenant->id);
  json after = tenantJson(sql, r.tenant->id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "tenant", r.tenant->slug, after, before);
  tx.commit();
  return jsonReply(200, after);
}

// GET /tenants/{tenant}/runtime: the configuration this engine process serves the tenant with
// (its cache), and the generation it reflects: a change shows here within a second.
HttpResponse runtimeView(AdminRequest& r) {
  if (!r.deps.directory)
    return jsonError(503, "unavailable", "this process keeps no tenant cache");
  auto t = r.deps.directory->byId(r.tenant->id);
  if (!t)
    return notFound("tenant '" + r.tenant->slug + "' is not in this process's cache yet");
  json channels = json::array();
  for (const auto& ch : t->channels) {
    channels.push_back({{"id", ch.id},
                        {"type", ch.type},
                        {"phone_number_id", ch.phone_number_id},
                        {"active", ch.active}});
  }
  return jsonReply(200, {{"slug", t->slug},
                         {"name", t->name},
                         {"active", t->active},
                         {"generation", t->generation},
                         {"directory_generation", r.deps.directory->generation()},
                         {"settings", t->settings},
                         {"channels", channels},
                         {"templates", t->templates.size()},
                         {"active_knowledge", t->knowledge.size()},
                         {"script", t->script ? json{{"version", t->script->version},
                                                     {"quarantined", t->script->quarantined}}
                                              : json()}});
}

}  // namespace

void addTenantRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants", Access::kAnyCaller, listTenants});
  routes.push_back({"POST", "tenants", Access::kOperatorOnly, createTenant});
  routes.push_back({"GET", "tenants/{tenant}", Access::kAnyCaller, showTenant});
  routes.push_back({"PATCH", "tenants/{tenant}", Access::kAnyCaller, changeTenant});
  routes.push_back({"GET", "tenants/{tenant}/runtime", Access::kAnyCaller, runtimeView});
}

}  // namespace baraza::admin
