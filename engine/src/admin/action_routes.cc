// /tenants/{tenant}/actions: the escalations (seed 003's human-in-the-loop requests) that
// scripts and strategies asked for, and their resolution (docs/answers.md).
#include "admin/admin_support.h"
#include "core/iso_time.h"
#include "tenancy/audit.h"

namespace baraza::admin {
namespace {

constexpr const char* kActionColumns =
    "SELECT CAST(id AS TEXT), type, COALESCE(details, ''), priority, status, "
    "COALESCE(assignee, ''), source, COALESCE(CAST(conversation_id AS TEXT), ''), "
    "CAST(created_at AS TEXT), COALESCE(CAST(resolved_at AS TEXT), ''), COALESCE(resolution, ''), "
    "COALESCE(CAST(notified_at AS TEXT), '')";

json actionJson(const soci::row& row) {
  auto opt = [&](size_t i) {
    std::string v = row.get<std::string>(i);
    return v.empty() ? json() : json(v);
  };
  return {{"id", row.get<std::string>(0)},
          {"type", row.get<std::string>(1)},
          {"details", row.get<std::string>(2)},
          {"priority", row.get<std::string>(3)},
          {"status", row.get<std::string>(4)},
          {"assignee", opt(5)},
          {"source", row.get<std::string>(6)},
          {"conversation_id", opt(7)},
          {"created_at", row.get<std::string>(8)},
          {"resolved_at", opt(9)},
          {"resolution", opt(10)},
          {"notified_at", opt(11)}};
}

std::optional<json> findAction(soci::session& sql, const std::string& tenant_id,
                               const std::string& id) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kActionColumns) +
                          " FROM actions WHERE tenant_id = :t AND CAST(id AS TEXT) = :i",
       soci::use(tenant_id), soci::use(id));
  for (const auto& row : rows)
    return actionJson(row);
  return std::nullopt;
}

HttpResponse listActions(AdminRequest& r) {
  std::string status = r.http.queryParam("status");
  if (!status.empty() && status != "open" && status != "resolved" && status != "cancelled")
    return invalidField("status", "open, resolved or cancelled");
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 2, page))
    return *bad;
  std::string text = std::string(kActionColumns) + " FROM actions WHERE tenant_id = :t";
  std::vector<std::string> params{r.tenant->id};
  if (!status.empty()) {
    text += " AND status = :s";
    params.push_back(status);
  }
  if (!page.after.empty()) {
    text +=
        " AND (CAST(created_at AS TEXT) < :c OR (CAST(created_at AS TEXT) = :c2 AND CAST(id "
        "AS TEXT) < :i))";
    params.push_back(page.after[0]);
    params.push_back(page.after[0]);
    params.push_back(page.after[1]);
  }
  text += " ORDER BY created_at DESC, id DESC LIMIT " + std::to_string(page.limit + 1);
  TenantScope tx(r.deps.db, r.tenant->id);
  soci::statement st = (tx.sql().prepare << text);
  soci::row row;
  st.exchange(soci::into(row));
  for (auto& p : params)
    st.exchange(soci::use(p));
  st.define_and_bind();
  st.execute(false);
  json list = json::array();
  std::string next;
  while (st.fetch()) {
    if (static_cast<long long>(list.size()) == page.limit) {
      next = encodeCursor({list.back()["created_at"], list.back()["id"]});
      break;
    }
    list.push_back(actionJson(row));
  }
  return jsonReply(200, {{"actions", list}, {"next_cursor", next.empty() ? json() : json(next)}});
}

HttpResponse showAction(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  auto action = findAction(tx.sql(), r.tenant->id, r.params[1]);
  if (!action)
    return notFound("no action '" + r.params[1] + "'");
  return jsonReply(200, *action);
}

// Assigns, re-prioritizes, resolves or cancels an action. Resolving (or cancelling) the last
// open escalation of a conversation reopens it, and the bot answers there again.
HttpResponse updateAction(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"status", "assignee", "priority", "resolution"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  std::string status = f.text("status"), assignee = f.text("assignee"),
              priority = f.text("priority"), resolution = f.text("resolution");
  if (auto bad = f.error())
    return *bad;
  if (f.has("status") && status != "open" && status != "resolved" && status != "cancelled")
    return invalidField("status", "open, resolved or cancelled");
  if (f.has("priority") && priority != "low" && priority != "medium" && priority != "high" &&
      priority != "urgent")
    return invalidField("priority", "low, medium, high or urgent");
  if (assignee.size() > 200)
    return invalidField("assignee", "at most 200 characters");
  if (resolution.size() > 4000)
    return invalidField("resolution", "at most 4000 characters");
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  auto before = findAction(sql, r.tenant->id, r.params[1]);
  if (!before)
    return notFound("no action '" + r.params[1] + "'");
  std::string id = (*before)["id"];
  if (f.has("assignee")) {
    soci::indicator ai = assignee.empty() ? soci::i_null : soci::i_ok;
    sql << "UPDATE actions SET assignee = :a WHERE tenant_id = :t AND id = :i",
        soci::use(assignee, ai), soci::use(r.tenant->id), soci::use(id);
  }
  if (f.has("priority")) {
    sql << "UPDATE actions SET priority = :p WHERE tenant_id = :t AND id = :i", soci::use(priority),
        soci::use(r.tenant->id), soci::use(id);
  }
  if (f.has("resolution")) {
    sql << "UPDATE actions SET resolution = :r WHERE tenant_id = :t AND id = :i",
        soci::use(resolution), soci::use(r.tenant->id), soci::use(id);
  }
  if (f.has("status") && status != (*before)["status"]) {
    std::string now = isoNowMicros();
    soci::indicator ri = status == "open" ? soci::i_null : soci::i_ok;
    sql << "UPDATE actions SET status = :s, resolved_at = :r WHERE tenant_id = :t AND id = :i",
        soci::use(status), soci::use(now, ri), soci::use(r.tenant->id), soci::use(id);
    if (!(*before)["conversation_id"].is_null()) {
      std::string conversation = (*before)["conversation_id"];
      long long open = 0;
      sql << "SELECT COUNT(*) FROM actions WHERE tenant_id = :t AND CAST(conversation_id AS "
             "TEXT) = :c AND type = 'escalation' AND status = 'open'",
          soci::use(r.tenant->id), soci::use(conversation), soci::into(open);
      std::string conversation_status = open > 0 ? "escalated" : "open";
      // The last escalation settled gives the conversation back to the bot: a person who took
      // it over (assign, or a reply from the console) releases it too.
      int give_back = open > 0 ? 0 : 1;
      sql << "UPDATE conversations SET status = :s, assigned_to = CASE WHEN :g = 1 THEN NULL "
             "ELSE assigned_to END, assigned_at = CASE WHEN :g2 = 1 THEN NULL ELSE assigned_at "
             "END WHERE tenant_id = :t AND CAST(id AS TEXT) = :c AND status <> 'closed'",
          soci::use(conversation_status), soci::use(give_back), soci::use(give_back),
          soci::use(r.tenant->id), soci::use(conversation);
    }
  }
  json after = *findAction(sql, r.tenant->id, id);
  writeAudit(sql, r.tenant->id, r.caller.actor, "update", "action", id, after, *before);
  tx.commit();
  return jsonReply(200, after);
}

}  // namespace

void addActionRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/actions", Access::kAnyCaller, listActions});
  routes.push_back({"GET", "tenants/{tenant}/actions/{action}", Access::kAnyCaller, showAction});
  routes.push_back(
      {"PATCH", "tenants/{tenant}/actions/{action}", Access::kAnyCaller, updateAction});
}

}  // namespace baraza::admin
