// /organizations/{org}/leads: an organization's leads across its agents (seed 004), for the
// operator and the organization's own keys. The queries run in the organization's scope: on
// PostgreSQL, row-level security shows it its leads and, read-only, its agents' messages.
#include "admin/admin_support.h"
#include "core/iso_time.h"

namespace baraza::admin {

std::optional<OrganizationRef> leadOrganization(AdminRequest& r, const std::string& slug,
                                                std::optional<HttpResponse>& error) {
  TenantScope lookup(r.deps.db, TenantScope::kAllTenants);
  soci::session& sql = lookup.sql();
  OrganizationRef o;
  sql << "SELECT CAST(id AS TEXT), slug, name FROM organizations WHERE slug = :s", soci::use(slug),
      soci::into(o.id), soci::into(o.slug), soci::into(o.name);
  if (sql.got_data() && (r.caller.is_operator || r.caller.organization_id == o.id))
    return o;
  if (sql.got_data() && !r.caller.tenant_id.empty()) {
    long long mine = 0;
    sql << "SELECT COUNT(*) FROM tenants WHERE CAST(id AS TEXT) = :t AND "
           "CAST(organization_id AS TEXT) = :o",
        soci::use(r.caller.tenant_id), soci::use(o.id), soci::into(mine);
    if (mine > 0) {
      error = forbidden("leads belong to the organization: use an organization key (bzo_...)");
      return std::nullopt;
    }
  }
  error = notFound("no organization '" + slug + "'");
  return std::nullopt;
}

std::optional<HttpResponse> readTimeRange(const HttpRequest& req, std::string& since,
                                          std::string& until) {
  for (auto [name, out] : {std::pair<const char*, std::string*>{"since", &since},
                           std::pair<const char*, std::string*>{"until", &until}}) {
    std::string text = req.queryParam(name);
    out->clear();
    if (text.empty())
      continue;
    auto t = parseIsoUtc(text);
    if (!t)
      return invalidField(name, "an ISO 8601 UTC time such as 2026-11-22T00:00:00Z");
    *out = formatIsoUtc(*t);
  }
  return std::nullopt;
}

namespace {

const char* kLeadColumns =
    "SELECT CAST(l.id AS TEXT), COALESCE(l.phone, ''), COALESCE(l.business_user_id, ''), "
    "COALESCE(l.display_name, ''), COALESCE(ft.slug, ''), l.first_source, "
    "COALESCE(l.first_source_id, ''), COALESCE(CAST(l.first_referral AS TEXT), ''), "
    "CAST(l.first_contact_at AS TEXT), COALESCE(lt.slug, ''), l.last_source, "
    "COALESCE(l.last_source_id, ''), CAST(l.last_contact_at AS TEXT), l.agent_count, "
    "l.message_count, CAST(l.created_at AS TEXT) FROM leads l "
    "LEFT JOIN tenants ft ON ft.id = l.first_tenant_id "
    "LEFT JOIN tenants lt ON lt.id = l.last_tenant_id WHERE l.organization_id = :o";

json optText(const std::string& v) {
  return v.empty() ? json() : json(v);
}

json leadJson(const soci::row& r) {
  json referral;
  if (std::string text = r.get<std::string>(7); !text.empty())
    referral = json::parse(text, nullptr, false);
  return {{"id", r.get<std::string>(0)},
          {"phone", optText(r.get<std::string>(1))},
          {"user_id", optText(r.get<std::string>(2))},
          {"name", optText(r.get<std::string>(3))},
          {"first_touch",
           {{"agent", optText(r.get<std::string>(4))},
            {"source", r.get<std::string>(5)},
            {"source_id", optText(r.get<std::string>(6))},
            {"referral", referral.is_discarded() ? json() : referral},
            {"at", r.get<std::string>(8)}}},
          {"last_touch",
           {{"agent", optText(r.get<std::string>(9))},
            {"source", r.get<std::string>(10)},
            {"source_id", optText(r.get<std::string>(11))},
            {"at", r.get<std::string>(12)}}},
          {"agent_count", rowInt(r, 13)},
          {"message_count", rowInt(r, 14)},
          {"created_at", r.get<std::string>(15)}};
}

// GET /organizations/{org}/leads?source=&agent=&multi_agent=&q=&since=&until=&limit=&cursor=:
// newest first contact first. since/until bound the first contact.
HttpResponse listLeads(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto org = leadOrganization(r, r.params[0], error);
  if (!org)
    return *error;
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 2, page, true))
    return *bad;
  std::string since, until;
  if (auto bad = readTimeRange(r.http, since, until))
    return *bad;
  std::string source = r.http.queryParam("source"), agent = r.http.queryParam("agent");
  std::string multi = r.http.queryParam("multi_agent"), q = r.http.queryParam("q");
  if (!multi.empty() && multi != "true" && multi != "false")
    return invalidField("multi_agent", "must be true or false");
  std::string text = std::string(kLeadColumns) +
                     " AND (:s = '' OR l.first_source = :s2) AND (:a = '' OR EXISTS (SELECT 1 "
                     "FROM lead_agents la JOIN tenants ag ON ag.id = la.tenant_id WHERE "
                     "la.organization_id = l.organization_id AND la.lead_id = l.id AND ag.slug = "
                     ":a2)) AND (:q = '' OR l.phone LIKE :ql OR LOWER(l.display_name) LIKE "
                     "LOWER(:ql2))";
  std::vector<std::string> params = {org->id, source, source,        agent,
                                     agent,   q,      "%" + q + "%", "%" + q + "%"};
  if (multi == "true")
    text += " AND l.agent_count > 1";
  else if (multi == "false")
    text += " AND l.agent_count = 1";
  if (!since.empty()) {
    text += " AND l.first_contact_at >= :since";
    params.push_back(since);
  }
  if (!until.empty()) {
    text += " AND l.first_contact_at < :until";
    params.push_back(until);
  }
  if (!page.after.empty()) {
    text +=
        " AND (l.first_contact_at < :k OR (l.first_contact_at = :k2 AND CAST(l.id AS TEXT) < "
        ":ki))";
    params.insert(params.end(), {page.after[0], page.after[0], page.after[1]});
  }
  text += " ORDER BY l.first_contact_at DESC, CAST(l.id AS TEXT) DESC LIMIT :n";
  TenantScope tx(r.deps.db, TenantScope::organization(org->id));
  json next;
  json list = fetchPage(tx.sql(), text, params, page.limit, leadJson, {8, 0}, next);
  return jsonReply(200, {{"leads", list}, {"next_cursor", next}});
}

// The lead's threads: one per agent contact, each with its conversations counted.
json leadAgents(soci::session& sql, const std::string& org, const std::string& lead) {
  return rowsAsJson(
      sql,
      "SELECT t.slug, t.name, CAST(la.contact_id AS TEXT), la.first_source, "
      "CAST(la.first_contact_at AS TEXT), CAST(la.last_contact_at AS TEXT), la.message_count, "
      "(SELECT COUNT(*) FROM conversations c WHERE c.tenant_id = la.tenant_id AND c.contact_id = "
      "la.contact_id) FROM lead_agents la JOIN tenants t ON t.id = la.tenant_id AND "
      "t.organization_id = la.organization_id WHERE la.organization_id = :o AND la.lead_id = :l "
      "ORDER BY la.first_contact_at, t.slug",
      {org, lead},
      {{"agent", false},
       {"agent_name", false},
       {"contact_id", false},
       {"first_source", false},
       {"first_contact_at", false},
       {"last_contact_at", false},
       {"messages", true},
       {"conversations", true}});
}

// The latest 100 touches, newest first.
json leadTouches(soci::session& sql, const std::string& org, const std::string& lead) {
  return rowsAsJson(
      sql,
      "SELECT lt.kind, t.slug, lt.source, lt.source_id, CAST(lt.conversation_id AS TEXT), "
      "CAST(lt.occurred_at AS TEXT) FROM lead_touches lt LEFT JOIN tenants t ON t.id = "
      "lt.tenant_id WHERE lt.organization_id = :o AND lt.lead_id = :l ORDER BY lt.occurred_at "
      "DESC, CAST(lt.id AS TEXT) DESC LIMIT 100",
      {org, lead},
      {{"kind", false},
       {"agent", false},
       {"source", false},
       {"source_id", false},
       {"conversation_id", false},
       {"at", false}});
}

// GET /organizations/{org}/leads/{id}: the aggregated profile, its agents and latest touches.
HttpResponse showLead(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto org = leadOrganization(r, r.params[0], error);
  if (!org)
    return *error;
  TenantScope tx(r.deps.db, TenantScope::organization(org->id));
  soci::session& sql = tx.sql();
  json lead;
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kLeadColumns) + " AND CAST(l.id AS TEXT) = :i",
       soci::use(org->id), soci::use(r.params[1]));
  for (const auto& row : rows)
    lead = leadJson(row);
  if (lead.is_null())
    return notFound("no lead '" + r.params[1] + "'");
  lead["agents"] = leadAgents(sql, org->id, r.params[1]);
  lead["touches"] = leadTouches(sql, org->id, r.params[1]);
  return jsonReply(200, lead);
}

// GET /organizations/{org}/leads/{id}/messages?limit=&cursor=: the cross-agent history, newest
// first, each message with the agent whose thread it is in.
HttpResponse leadMessages(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto org = leadOrganization(r, r.params[0], error);
  if (!org)
    return *error;
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 2, page, true))
    return *bad;
  TenantScope tx(r.deps.db, TenantScope::organization(org->id));
  soci::session& sql = tx.sql();
  long long known = 0;
  sql << "SELECT COUNT(*) FROM leads WHERE organization_id = :o AND CAST(id AS TEXT) = :i",
      soci::use(org->id), soci::use(r.params[1]), soci::into(known);
  if (known == 0)
    return notFound("no lead '" + r.params[1] + "'");
  std::string text =
      "SELECT CAST(m.id AS TEXT), t.slug, CAST(m.conversation_id AS TEXT), m.direction, "
      "m.message_type, COALESCE(m.body, ''), m.status, COALESCE(m.strategy, ''), "
      "CAST(m.created_at AS TEXT) FROM lead_agents la JOIN tenants t ON t.id = la.tenant_id AND "
      "t.organization_id = la.organization_id JOIN messages m ON m.tenant_id = la.tenant_id AND "
      "m.contact_id = la.contact_id WHERE la.organization_id = :o AND CAST(la.lead_id AS TEXT) = "
      ":l";
  std::vector<std::string> params = {org->id, r.params[1]};
  if (!page.after.empty()) {
    text += " AND (m.created_at < :k OR (m.created_at = :k2 AND CAST(m.id AS TEXT) < :ki))";
    params.insert(params.end(), {page.after[0], page.after[0], page.after[1]});
  }
  text += " ORDER BY m.created_at DESC, CAST(m.id AS TEXT) DESC LIMIT :n";
  auto toJson = [](const soci::row& row) {
    return json{{"id", row.get<std::string>(0)},
                {"agent", row.get<std::string>(1)},
                {"conversation_id", row.get<std::string>(2)},
                {"direction", row.get<std::string>(3)},
                {"type", row.get<std::string>(4)},
                {"text", row.get<std::string>(5)},
                {"status", row.get<std::string>(6)},
                {"strategy", optText(row.get<std::string>(7))},
                {"at", row.get<std::string>(8)}};
  };
  json next;
  json list = fetchPage(sql, text, params, page.limit, toJson, {8, 0}, next);
  return jsonReply(200, {{"messages", list}, {"next_cursor", next}});
}

}  // namespace

void addLeadRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "organizations/{org}/leads", Access::kAnyCaller, listLeads});
  routes.push_back({"GET", "organizations/{org}/leads/{id}", Access::kAnyCaller, showLead});
  routes.push_back(
      {"GET", "organizations/{org}/leads/{id}/messages", Access::kAnyCaller, leadMessages});
}

}  // namespace baraza::admin
