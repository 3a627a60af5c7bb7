// GET /organizations/{org}/reports/leads: attribution across an organization's agents (seed 004):
// leads by first-touch source and by agent, first-touch against last-touch, and the leads that
// wrote to more than one agent.
#include "admin/admin_support.h"

namespace baraza::admin {
namespace {

// The leads counted: first contact in [since, until). Each use names its placeholders apart
// (SQLite binds a repeated name once; soci binds by position).
std::string inRange(int n) {
  std::string k = std::to_string(n);
  return "l.organization_id = :o" + k + " AND (:s" + k + " = '' OR l.first_contact_at >= :sb" + k +
         ") AND (:u" + k + " = '' OR l.first_contact_at < :ub" + k + ")";
}

HttpResponse leadReport(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto org = leadOrganization(r, r.params[0], error);
  if (!org)
    return *error;
  std::string since, until;
  if (auto bad = readTimeRange(r.http, since, until))
    return *bad;
  const std::string in_range = inRange(0);
  std::vector<std::string> params = {org->id, since, since, until, until};
  // PostgreSQL compares '' with a timestamp only after the OR has been decided: give it a
  // typed bound instead.
  if (r.deps.db.dialect() == Dialect::kPostgresql) {
    if (since.empty())
      params[2] = "-infinity";
    if (until.empty())
      params[4] = "infinity";
  }
  TenantScope tx(r.deps.db, TenantScope::organization(org->id));
  soci::session& sql = tx.sql();
  json totals =
      rowsAsJson(sql,
                 "SELECT COUNT(*), COALESCE(SUM(CASE WHEN l.agent_count > 1 THEN 1 ELSE 0 "
                 "END), 0), COALESCE(SUM(l.message_count), 0) FROM leads l WHERE " +
                     in_range,
                 params, {{"leads", true}, {"multi_agent_leads", true}, {"messages", true}});
  json by_source = rowsAsJson(sql,
                              "SELECT l.first_source, COUNT(*) FROM leads l WHERE " + in_range +
                                  " GROUP BY l.first_source ORDER BY COUNT(*) DESC, l.first_source",
                              params, {{"source", false}, {"leads", true}});
  json by_ad = rowsAsJson(
      sql,
      "SELECT l.first_source, l.first_source_id, COUNT(*) FROM leads l WHERE " + in_range +
          " AND l.first_source_id IS NOT NULL GROUP BY l.first_source, "
          "l.first_source_id ORDER BY COUNT(*) DESC, l.first_source_id LIMIT 50",
      params, {{"source", false}, {"source_id", false}, {"leads", true}});
  // Per agent: leads first touched, last touched, and reached at all.
  json by_agent = rowsAsJson(
      sql,
      "SELECT t.slug, (SELECT COUNT(*) FROM leads l WHERE " + inRange(1) +
          " AND l.first_tenant_id = t.id), (SELECT COUNT(*) FROM leads l WHERE " + inRange(2) +
          " AND l.last_tenant_id = t.id), (SELECT COUNT(DISTINCT l.id) FROM leads l JOIN "
          "lead_agents la ON "
          "la.organization_id = l.organization_id AND la.lead_id = l.id WHERE " +
          inRange(3) +
          " AND la.tenant_id = t.id) FROM tenants t WHERE CAST(t.organization_id AS TEXT) = :o4 "
          "ORDER BY t.slug",
      [&] {
        std::vector<std::string> p;
        for (int i = 0; i < 3; ++i)
          p.insert(p.end(), params.begin(), params.end());
        p.push_back(org->id);
        return p;
      }(),
      {{"agent", false}, {"first_touch", true}, {"last_touch", true}, {"leads", true}});
  // First touch against last touch: where each lead came from and where it is now.
  json attribution = rowsAsJson(
      sql,
      "SELECT COALESCE(ft.slug, ''), l.first_source, COALESCE(lt.slug, ''), l.last_source, "
      "COUNT(*) FROM leads l LEFT JOIN tenants ft ON ft.id = l.first_tenant_id LEFT JOIN tenants "
      "lt ON lt.id = l.last_tenant_id WHERE " +
          in_range +
          " GROUP BY ft.slug, l.first_source, lt.slug, l.last_source ORDER BY COUNT(*) DESC, "
          "ft.slug, lt.slug",
      params,
      {{"first_agent", false},
       {"first_source", false},
       {"last_agent", false},
       {"last_source", false},
       {"leads", true}});
  json report = totals.empty() ? json::object() : totals[0];
  report["organization"] = org->slug;
  report["since"] = since.empty() ? json() : json(since);
  report["until"] = until.empty() ? json() : json(until);
  report["by_source"] = by_source;
  report["by_ad"] = by_ad;
  report["by_agent"] = by_agent;
  report["first_vs_last_touch"] = attribution;
  return jsonReply(200, report);
}

}  // namespace

void addLeadReportRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "organizations/{org}/reports/leads", Access::kAnyCaller, leadReport});
}

}  // namespace baraza::admin
