// POST /tenants/{tenant}/conversations/{id}/reply: a person answers a customer. The reply is a
// message row like the bot's (strategy "human", with who wrote it) and goes out through the
// outbox, paced and retried like any send.
#include <algorithm>
#include <ctime>

#include "admin/admin_support.h"
#include "core/iso_time.h"
#include "core/uuid.h"
#include "pipeline/message_store.h"
#include "pipeline/outbox_store.h"
#include "pipeline/usage_ledger.h"
#include "tenancy/audit.h"

namespace baraza::admin {
namespace {

// Who wrote it; and no decision time, which the bot's reply-time figures (/usage, analytics)
// are made of.
const Statement kSentBy{
    "admin_message_sent_by",
    "UPDATE messages SET sent_by = $3, processing_ms = NULL WHERE tenant_id = $1 AND id = $2", ""};

// Characters, not bytes, as the channel counts them.
size_t characters(const std::string& text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

struct Thread {
  std::string status, assigned_to, window_expires_at, contact_id, account_id, recipient;
};

std::optional<Thread> findThread(soci::session& sql, const std::string& tenant,
                                 const std::string& id) {
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT c.status, COALESCE(c.assigned_to, ''), "
                      "COALESCE(CAST(c.window_expires_at AS TEXT), ''), CAST(c.contact_id AS "
                      "TEXT), CAST(c.channel_account_id AS TEXT), COALESCE(k.wa_id, '') FROM "
                      "conversations c JOIN contacts k ON k.tenant_id = c.tenant_id AND k.id = "
                      "c.contact_id WHERE c.tenant_id = :t AND c.id = :i",
       soci::use(tenant), soci::use(id));
  for (const auto& r : rows) {
    return Thread{r.get<std::string>(0), r.get<std::string>(1), r.get<std::string>(2),
                  r.get<std::string>(3), r.get<std::string>(4), r.get<std::string>(5)};
  }
  return std::nullopt;
}

// What the person sends: {"text": ...} or {"template": {"name", "language", "parameters"}}, as
// the channel's send request; a 400 or 422 in `error` otherwise.
std::optional<json> readReply(const json& body, const Thread& thread,
                              std::optional<HttpResponse>& error) {
  bool has_text = body.contains("text"), has_template = body.contains("template");
  if (has_text == has_template) {
    error = invalidField("text", "give either text or template");
    return std::nullopt;
  }
  if (has_text) {
    const json& t = body["text"];
    if (!t.is_string() || t.get<std::string>().empty() || characters(t.get<std::string>()) > 4096) {
      error = invalidField("text", "must be 1 to 4096 characters");
      return std::nullopt;
    }
    auto expires = parseIsoUtc(thread.window_expires_at);
    if (!expires || *expires < std::time(nullptr)) {
      error = jsonError(422, "outside_window",
                        "the customer's 24-hour window is closed: send an approved template");
      return std::nullopt;
    }
    return json{{"kind", "text"}, {"to", thread.recipient}, {"text", t}};
  }
  const json& t = body["template"];
  if (!t.is_object() || !t.contains("name") || !t["name"].is_string() ||
      t["name"].get<std::string>().empty()) {
    error = invalidField("template", "needs a name (an approved template)");
    return std::nullopt;
  }
  std::string language = t.value("language", std::string("en"));
  json out{{"name", t["name"]}, {"language", language}};
  if (t.contains("parameters")) {
    json params = json::array();
    if (!t["parameters"].is_array()) {
      error = invalidField("template", "parameters must be a list of texts");
      return std::nullopt;
    }
    for (const auto& p : t["parameters"]) {
      if (!p.is_string()) {
        error = invalidField("template", "parameters must be a list of texts");
        return std::nullopt;
      }
      params.push_back({{"type", "text"}, {"text", p}});
    }
    out["components"] = json::array({{{"type", "body"}, {"parameters", params}}});
  }
  return json{{"kind", "template"}, {"to", thread.recipient}, {"template", out}};
}

HttpResponse replyAsPerson(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readObject(r.http, {"text", "template", "author"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  std::string author = f.text("author");
  if (auto bad = f.error())
    return *bad;
  if (author.size() > 100)
    return invalidField("author", "at most 100 characters");
  std::string sent_by = author.empty() ? r.caller.actor : author + " (" + r.caller.actor + ")";

  TenantScope tx(r.deps.db, r.tenant->id, true);
  soci::session& sql = tx.sql();
  auto thread = isUuidText(r.params[1]) ? findThread(sql, r.tenant->id, r.params[1]) : std::nullopt;
  if (!thread)
    return notFound("no conversation '" + r.params[1] + "'");
  if (thread->recipient.empty())
    return jsonError(422, "no_recipient", "the conversation's contact has no address to send to");
  auto request = readReply(*body, *thread, error);
  if (!request)
    return *error;

  std::string now = isoNowMicros();
  long long now_ms = static_cast<long long>(std::time(nullptr)) * 1000;
  bool is_text = (*request)["kind"] == "text";
  OutboundMessage m;
  m.tenant_id = r.tenant->id;
  m.id = newUuid();
  m.conversation_id = r.params[1];
  m.contact_id = thread->contact_id;
  m.message_type = is_text ? "text" : "template";
  m.body = is_text ? (*request)["text"].get<std::string>()
                   : "[template " + (*request)["template"]["name"].get<std::string>() + "]";
  m.request = *request;
  m.strategy = "human";
  m.stamp = now;
  message_store::insertOutbound(tx, {m});
  tx.run(kSentBy, Params().text(m.tenant_id).text(m.id).text(sent_by));
  OutboxEntry send{r.tenant->id,       newUuid(),         m.id,           "",
                   thread->account_id, thread->recipient, request->dump()};
  OutboxStore::enqueue(tx, {send}, now_ms);
  std::string day = periodKey('d', now_ms);
  addUsageBatch(tx,
                {{{r.tenant->id, "tenant", day, "outbound"}, 1},
                 {{r.tenant->id, "tenant", day, "human_replies"}, 1}},
                newUuid());
  // A person answering has taken the conversation over: the bot stays silent until it is
  // released or its escalation resolved.
  if (thread->assigned_to.empty()) {
    std::string who = author.empty() ? r.caller.actor : author;
    sql << "UPDATE conversations SET assigned_to = :a, assigned_at = :n, status = 'escalated' "
           "WHERE tenant_id = :t AND id = :i",
        soci::use(who), soci::use(now), soci::use(r.tenant->id), soci::use(r.params[1]);
  }
  json after{
      {"message_id", m.id}, {"type", m.message_type}, {"text", m.body}, {"sent_by", sent_by}};
  writeAudit(sql, r.tenant->id, r.caller.actor, "reply", "conversation", r.params[1], after,
             json());
  tx.commit();
  return jsonReply(202, {{"id", m.id},
                         {"conversation_id", r.params[1]},
                         {"type", m.message_type},
                         {"text", m.body},
                         {"status", "queued"},
                         {"sent_by", sent_by},
                         {"at", now}});
}

}  // namespace

void addReplyRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back(
      {"POST", "tenants/{tenant}/conversations/{id}/reply", Access::kAnyCaller, replyAsPerson});
}

}  // namespace baraza::admin
