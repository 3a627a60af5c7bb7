// /tenants/{tenant}/templates: prompt templates (seed 001's bot_templates).
#include "admin/admin_support.h"
#include "tenancy/audit.h"
#include "tenancy/tenant_rules.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

const char* kTemplateColumns =
    "SELECT CAST(id AS TEXT), name, system_prompt, COALESCE(tone, ''), "
    "COALESCE(max_response_length, 0), CASE WHEN is_default THEN 1 ELSE 0 END, CASE WHEN active "
    "THEN 1 ELSE 0 END, CAST(updated_at AS TEXT) FROM prompt_templates WHERE tenant_id = :t";

json templateJson(const soci::row& row) {
  long long max_len = rowInt(row, 4);
  return {{"id", row.get<std::string>(0)},
          {"name", row.get<std::string>(1)},
          {"system_prompt", row.get<std::string>(2)},
          {"tone", row.get<std::string>(3)},
          {"max_response_length", max_len > 0 ? json(max_len) : json(nullptr)},
          {"default", rowInt(row, 5) != 0},
          {"active", rowInt(row, 6) != 0},
          {"updated_at", row.get<std::string>(7)}};
}

json templateById(soci::session& sql, const std::string& tenant, const std::string& id) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kTemplateColumns) + " AND CAST(id AS TEXT) = :i",
       soci::use(tenant), soci::use(id));
  for (const auto& row : rows)
    return templateJson(row);
  return nullptr;
}

const std::vector<std::string> kFields = {"name",    "system_prompt", "tone", "max_response_length",
                                          "default", "active"};

// A template from a body, starting from `base` (a PATCH keeps what is not given).
TemplateSpec readTemplate(Fields& f, const TemplateSpec& base) {
  return {f.text("name", base.name),
          f.text("system_prompt", base.system_prompt),
          f.text("tone", base.tone),
          f.integer("max_response_length", base.max_response_length),
          f.flag("default", base.is_default),
          f.flag("active", base.active)};
}

bool nameTaken(soci::session& sql, const std::string& tenant, const std::string& name,
               const std::string& except_id) {
  long long n = 0;
  sql << "SELECT COUNT(*) FROM prompt_templates WHERE tenant_id = :t AND name = :n AND "
         "CAST(id AS TEXT) <> :i",
      soci::use(tenant), soci::use(name), soci::use(except_id), soci::into(n);
  return n > 0;
}

HttpResponse listTemplates(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 100, 500, 1, page))
    return *bad;
  long long limit = page.limit;
  const auto* cursor = &page.after;
  std::string after = cursor->empty() ? "" : (*cursor)[0];
  long long fetch = limit + 1;
  TenantScope tx(r.deps.db, r.tenant->id);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << std::string(kTemplateColumns) + " AND name > :c ORDER BY name LIMIT :n",
       soci::use(r.tenant->id), soci::use(after), soci::use(fetch));
  json list = json::array();
  std::string next;
  for (const auto& row : rows) {
    if (static_cast<long long>(list.size()) == limit) {
      next = encodeCursor({list.back()["name"].get<std::string>()});
      break;
    }
    list.push_back(templateJson(row));
  }
  return jsonReply(200, {{"templates", list}, {"next_cursor", next.empty() ? json() : json(next)}});
}

HttpResponse createTemplate(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, kFields, error);
  if (!body)
    return *error;
  Fields f(*body);
  TemplateSpec spec = readTemplate(f, TemplateSpec{});
  if (auto bad = f.error())
    return *bad;
  if (auto problem = checkTemplate(spec))
    return invalidField(problem->field, problem->problem);
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  if (nameTaken(sql, r.tenant->id, spec.name, ""))
    return jsonError(409, "conflict", "name: the tenant has a template '" + spec.name + "'");
  std::string id = insertTemplate(sql, r.tenant->id, spec);
  if (spec.is_default)
    makeOnlyDefaultTemplate(sql, r.tenant->id, id);
  markConfigChanged(sql, r.tenant->id);
  json created = templateById(sql, r.tenant->id, id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "create", "template", id, created);
  tx.commit();
  return jsonReply(201, created);
}

HttpResponse showTemplate(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  json t = templateById(tx.sql(), r.tenant->id, r.params[1]);
  return t.is_null() ? notFound("no template '" + r.params[1] + "'") : jsonReply(200, t);
}

HttpResponse changeTemplate(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, kFields, error);
  if (!body)
    return *error;
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  const std::string& id = r.params[1];
  json before = templateById(sql, r.tenant->id, id);
  if (before.is_null())
    return notFound("no template '" + id + "'");
  TemplateSpec base{before["name"],
                    before["system_prompt"],
                    before["tone"],
                    before["max_response_length"].is_null()
                        ? 0LL
                        : before["max_response_length"].get<long long>(),
                    before["default"],
                    before["active"]};
  Fields f(*body);
  TemplateSpec spec = readTemplate(f, base);
  if (auto bad = f.error())
    return *bad;
  if (auto problem = checkTemplate(spec))
    return invalidField(problem->field, problem->problem);
  if (nameTaken(sql, r.tenant->id, spec.name, id))
    return jsonError(409, "conflict", "name: the tenant has a template '" + spec.name + "'");
  updateTemplate(sql, r.deps.db.dialect(), r.tenant->id, id, spec);
  if (spec.is_default)
    makeOnlyDefaultTemplate(sql, r.tenant->id, id);
  markConfigChanged(sql, r.tenant->id);
  json after = templateById(sql, r.tenant->id, id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "template", id, after, before);
  tx.commit();
  return jsonReply(200, after);
}

HttpResponse deleteTemplate(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  const std::string& id = r.params[1];
  json before = templateById(sql, r.tenant->id, id);
  if (before.is_null())
    return notFound("no template '" + id + "'");
  sql << "DELETE FROM prompt_templates WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(r.tenant->id), soci::use(id);
  markConfigChanged(sql, r.tenant->id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "delete", "template", id, nullptr, before);
  tx.commit();
  return noContent();
}

}  // namespace

void addTemplateRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/templates", Access::kAnyCaller, listTemplates});
  routes.push_back({"POST", "tenants/{tenant}/templates", Access::kAnyCaller, createTemplate});
  routes.push_back({"GET", "tenants/{tenant}/templates/{id}", Access::kAnyCaller, showTemplate});
  routes.push_back(
      {"PATCH", "tenants/{tenant}/templates/{id}", Access::kAnyCaller, changeTemplate});
  routes.push_back(
      {"DELETE", "tenants/{tenant}/templates/{id}", Access::kAnyCaller, deleteTemplate});
}

}  // namespace baraza::admin
