// /tenants/{tenant}/conversations and /messages: what the pipeline recorded, and human takeover.
#include "admin/admin_support.h"
#include "core/iso_time.h"
#include "tenancy/audit.h"

namespace baraza::admin {
namespace {

const char* kConversationColumns =
    "SELECT CAST(c.id AS TEXT), c.status, COALESCE(c.assigned_to, ''), "
    "COALESCE(CAST(c.assigned_at AS TEXT), ''), COALESCE(CAST(c.window_expires_at AS TEXT), ''), "
    "CAST(c.started_at AS TEXT), CAST(c.last_message_at AS TEXT), CAST(k.id AS TEXT), "
    "COALESCE(k.wa_id, ''), COALESCE(k.profile_name, ''), COALESCE(k.business_user_id, '') "
    "FROM conversations c JOIN contacts k ON k.tenant_id = c.tenant_id AND k.id = c.contact_id "
    "WHERE c.tenant_id = :t";

json conversationJson(const soci::row& r) {
  return {{"id", r.get<std::string>(0)},
          {"status", r.get<std::string>(1)},
          {"assigned_to", r.get<std::string>(2).empty() ? json() : json(r.get<std::string>(2))},
          {"assigned_at", r.get<std::string>(3).empty() ? json() : json(r.get<std::string>(3))},
          {"window_expires_at", r.get<std::string>(4)},
          {"started_at", r.get<std::string>(5)},
          {"last_message_at", r.get<std::string>(6)},
          {"contact",
           {{"id", r.get<std::string>(7)},
            {"wa_id", r.get<std::string>(8)},
            {"profile_name", r.get<std::string>(9)},
            {"user_id", r.get<std::string>(10)}}}};
}

const char* kMessageColumns =
    "SELECT CAST(id AS TEXT), CAST(conversation_id AS TEXT), direction, "
    "COALESCE(channel_message_id, ''), message_type, COALESCE(body, ''), status, "
    "COALESCE(strategy, ''), COALESCE(ai_model, ''), COALESCE(CAST(knowledge_entry_id AS TEXT), "
    "''), COALESCE(processing_ms, -1), COALESCE(error_code, ''), COALESCE(error_message, ''), "
    "CAST(created_at AS TEXT), COALESCE(sent_by, '') FROM messages WHERE tenant_id = :t";

json messageJson(const soci::row& r) {
  auto opt = [&](size_t i) {
    std::string v = r.get<std::string>(i);
    return v.empty() ? json() : json(v);
  };
  long long took = rowInt(r, 10);
  return {{"id", r.get<std::string>(0)},
          {"conversation_id", r.get<std::string>(1)},
          {"direction", r.get<std::string>(2)},
          {"channel_message_id", opt(3)},
          {"type", r.get<std::string>(4)},
          {"text", r.get<std::string>(5)},
          {"status", r.get<std::string>(6)},
          {"strategy", opt(7)},
          {"ai_model", opt(8)},
          {"knowledge_entry_id", opt(9)},
          {"processing_ms", took < 0 ? json() : json(took)},
          {"error_code", opt(11)},
          {"error", opt(12)},
          {"at", r.get<std::string>(13)},
          {"sent_by", opt(14)}};
}

// GET .../conversations?status=&assigned=&limit=&cursor=: most recent first.
HttpResponse listConversations(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 2, page, true))
    return *bad;
  const auto* cursor = &page.after;
  std::string status = r.http.queryParam("status");
  if (!status.empty() && status != "open" && status != "escalated" && status != "closed")
    return invalidField("status", "must be open, escalated or closed");
  std::string text = std::string(kConversationColumns) + " AND (:s = '' OR c.status = :s2)";
  std::vector<std::string> params = {r.tenant->id, status, status};
  if (r.http.queryParam("assigned") == "true")
    text += " AND c.assigned_to IS NOT NULL";
  if (!cursor->empty()) {
    text +=
        " AND (c.last_message_at < :c OR (c.last_message_at = :c2 AND CAST(c.id AS TEXT) < "
        ":ci))";
    params.insert(params.end(), {(*cursor)[0], (*cursor)[0], (*cursor)[1]});
  }
  text += " ORDER BY c.last_message_at DESC, CAST(c.id AS TEXT) DESC LIMIT :n";
  TenantScope tx(r.deps.db, r.tenant->id);
  json next;
  json list = fetchPage(tx.sql(), text, params, page.limit, conversationJson, {6, 0}, next);
  return jsonReply(200, {{"conversations", list}, {"next_cursor", next}});
}

json conversationById(soci::session& sql, const std::string& tenant, const std::string& id) {
  soci::rowset<soci::row> rows =
      (sql.prepare << std::string(kConversationColumns) + " AND CAST(c.id AS TEXT) = :i",
       soci::use(tenant), soci::use(id));
  for (const auto& row : rows)
    return conversationJson(row);
  return nullptr;
}

HttpResponse showConversation(AdminRequest& r) {
  TenantScope tx(r.deps.db, r.tenant->id);
  json c = conversationById(tx.sql(), r.tenant->id, r.params[1]);
  if (c.is_null())
    return notFound("no conversation '" + r.params[1] + "'");
  json messages = json::array();
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << std::string(kMessageColumns) +
                               " AND CAST(conversation_id AS TEXT) = :c ORDER BY created_at "
                               "DESC, CAST(id AS TEXT) DESC LIMIT 50",
       soci::use(r.tenant->id), soci::use(r.params[1]));
  for (const auto& row : rows)
    messages.push_back(messageJson(row));
  c["recent_messages"] = messages;
  return jsonReply(200, c);
}

// POST .../conversations/{id}/assign {"assignee": "..."}: a human takes over; the bot is silent
// until release or the tenant's human_takeover_minutes.
HttpResponse assignConversation(AdminRequest& r, bool assign) {
  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  json before = conversationById(sql, r.tenant->id, r.params[1]);
  if (before.is_null())
    return notFound("no conversation '" + r.params[1] + "'");
  std::string assignee;
  if (assign) {
    std::optional<HttpResponse> error;
    auto body = readObject(r.http, {"assignee"}, error);
    if (!body)
      return *error;
    Fields f(*body);
    assignee = f.text("assignee");
    if (auto bad = f.error())
      return *bad;
    if (assignee.empty() || assignee.size() > 200)
      return invalidField("assignee", "is required: 1 to 200 characters");
  }
  std::string now = isoNowMicros();
  soci::indicator ai = assign ? soci::i_ok : soci::i_null;
  std::string status = assign ? "escalated" : "open";
  sql << "UPDATE conversations SET assigned_to = :a, assigned_at = :n, status = :s WHERE "
         "tenant_id = :t AND CAST(id AS TEXT) = :i",
      soci::use(assignee, ai), soci::use(now, ai), soci::use(status), soci::use(r.tenant->id),
      soci::use(r.params[1]);
  json after = conversationById(sql, r.tenant->id, r.params[1]);
  writeAudit(sql, r.tenant->id, r.caller.actor, assign ? "assign" : "release", "conversation",
             r.params[1], after, before);
  tx.commit();
  return jsonReply(200, after);
}

// GET .../messages?direction=&since=&conversation=&q=&limit=&cursor=: newest first.
HttpResponse listMessages(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 2, page, true))
    return *bad;
  const auto* cursor = &page.after;
  std::string direction = r.http.queryParam("direction"), since = r.http.queryParam("since");
  std::string conversation = r.http.queryParam("conversation"), q = r.http.queryParam("q");
  if (!direction.empty() && direction != "inbound" && direction != "outbound")
    return invalidField("direction", "must be inbound or outbound");
  std::string text = std::string(kMessageColumns) +
                     " AND (:d = '' OR direction = :d2) AND (:c = '' OR CAST(conversation_id AS "
                     "TEXT) = :c2) AND (:q = '' OR LOWER(body) LIKE LOWER(:l))";
  std::vector<std::string> params = {r.tenant->id, direction, direction,    conversation,
                                     conversation, q,         "%" + q + "%"};
  if (!since.empty()) {
    auto t = parseIsoUtc(since);
    if (!t)
      return invalidField("since", "an ISO 8601 UTC time such as 2026-11-22T00:00:00Z");
    text += " AND created_at >= :since";
    params.push_back(formatIsoUtc(*t));
  }
  if (!cursor->empty()) {
    text += " AND (created_at < :k OR (created_at = :k2 AND CAST(id AS TEXT) < :ki))";
    params.insert(params.end(), {(*cursor)[0], (*cursor)[0], (*cursor)[1]});
  }
  text += " ORDER BY created_at DESC, CAST(id AS TEXT) DESC LIMIT :n";
  TenantScope tx(r.deps.db, r.tenant->id);
  json next;
  json list = fetchPage(tx.sql(), text, params, page.limit, messageJson, {13, 0}, next);
  return jsonReply(200, {{"messages", list}, {"next_cursor", next}});
}

}  // namespace

void addConversationRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back(
      {"GET", "tenants/{tenant}/conversations", Access::kAnyCaller, listConversations});
  routes.push_back(
      {"GET", "tenants/{tenant}/conversations/{id}", Access::kAnyCaller, showConversation});
  routes.push_back({"POST", "tenants/{tenant}/conversations/{id}/assign", Access::kAnyCaller,
                    [](AdminRequest& r) { return assignConversation(r, true); }});
  routes.push_back({"POST", "tenants/{tenant}/conversations/{id}/release", Access::kAnyCaller,
                    [](AdminRequest& r) { return assignConversation(r, false); }});
  routes.push_back({"GET", "tenants/{tenant}/messages", Access::kAnyCaller, listMessages});
}

}  // namespace baraza::admin
