// /inbox (operator): events the pipeline could not route or process, and their replay.
#include "admin/admin_support.h"
#include "pipeline/clock.h"
#include "tenancy/audit.h"

namespace baraza::admin {
namespace {

// GET /inbox?status=dead|unrouted|pending&limit=&cursor=: oldest first, with the last error.
HttpResponse listInbox(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 1, page))
    return *bad;
  long long limit = page.limit;
  const auto* cursor = &page.after;
  std::string status = r.http.queryParam("status");
  if (status.empty())
    status = "dead";
  if (status != "dead" && status != "unrouted" && status != "pending" && status != "processing")
    return invalidField("status", "must be dead, unrouted, pending or processing");
  long long after = 0;
  if (!cursor->empty())
    after = std::atoll((*cursor)[0].c_str());
  long long fetch = limit + 1;
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  // Unfinished events are in the queue (inbox_work), which says whether one is being worked on
  // and how often it was tried; finished ones are in inbox_events alone.
  bool queued = status == "pending" || status == "processing";
  std::string from = queued ? "inbox_events e JOIN inbox_work w ON w.event_id = e.id WHERE "
                              "w.status = :s"
                            : "inbox_events e WHERE e.status = :s";
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << "SELECT e.id, e.channel_type, e.account_id, e.kind, e.dedupe_key, " +
                               std::string(queued ? "w" : "e") +
                               ".attempts, COALESCE(e.last_error, ''), COALESCE(e.tenant_slug, "
                               "''), CAST(e.received_ms AS TEXT) FROM " +
                               from + " AND e.id > :a ORDER BY e.id LIMIT :n",
       soci::use(status), soci::use(after), soci::use(fetch));
  json list = json::array();
  bool more = false;
  long long last = 0;
  for (const auto& row : rows) {
    if (static_cast<long long>(list.size()) == limit) {
      more = true;
      break;
    }
    last = rowInt(row, 0);
    list.push_back({{"id", last},
                    {"channel", row.get<std::string>(1)},
                    {"account", row.get<std::string>(2)},
                    {"kind", row.get<std::string>(3)},
                    {"dedupe_key", row.get<std::string>(4)},
                    {"attempts", rowInt(row, 5)},
                    {"error", row.get<std::string>(6)},
                    {"tenant", row.get<std::string>(7)},
                    {"received_ms", std::stoll(row.get<std::string>(8))}});
  }
  return jsonReply(200,
                   {{"events", list},
                    {"next_cursor", more ? json(encodeCursor({std::to_string(last)})) : json()}});
}

// POST /inbox/{id}/replay: a dead or unrouted event goes back to the queue, attempts reset.
HttpResponse replayEvent(AdminRequest& r) {
  long long id = std::atoll(r.params[0].c_str());
  long long now = systemNowMs();
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  std::string status, kind;
  sql << "SELECT status, kind FROM inbox_events WHERE id = :i", soci::use(id), soci::into(status),
      soci::into(kind);
  if (!sql.got_data())
    return notFound("no inbox event " + r.params[0]);
  if (status != "dead" && status != "unrouted")
    return jsonError(409, "conflict", "event " + r.params[0] + " is " + status + ", not dead");
  sql << "UPDATE inbox_events SET status = 'pending', attempts = 0 WHERE id = :i", soci::use(id);
  sql << "INSERT INTO inbox_work (event_id, order_key, next_attempt_ms) SELECT id, order_key, :n "
         "FROM inbox_events WHERE id = :i ON CONFLICT (event_id) DO NOTHING",
      soci::use(now), soci::use(id);
  writeOperatorAudit(sql, r.caller.actor, "replay", "inbox_event", r.params[0],
                     {{"status", "pending"}}, {{"status", status}, {"kind", kind}});
  tx.commit();
  return jsonReply(202, {{"id", id}, {"status", "pending"}});
}

// GET /pipeline/stats (operator): queue depths across every tenant and process, and the
// counts a load test checks afterwards (every accepted message stored once, answered once).
HttpResponse pipelineStats(AdminRequest& r) {
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  soci::session& sql = tx.sql();
  if (r.http.queryParam("queues") == "1") {
    // Only the unfinished work, read through the queues' own small indexes: cheap enough to
    // poll under load.
    long long pending = 0, processing = 0, to_send = 0, sending = 0;
    sql << "SELECT (SELECT COUNT(*) FROM inbox_work WHERE status = 'pending'), (SELECT "
           "COUNT(*) FROM inbox_work WHERE status = 'processing'), (SELECT COUNT(*) FROM "
           "outbox_messages WHERE status = 'pending'), (SELECT COUNT(*) FROM outbox_messages "
           "WHERE status = 'sending')",
        soci::into(pending), soci::into(processing), soci::into(to_send), soci::into(sending);
    return jsonReply(200, {{"inbox", {{"pending", pending}, {"processing", processing}}},
                           {"outbox", {{"pending", to_send}, {"sending", sending}}}});
  }
  auto byStatus = [&](const std::string& from, json out = json::object()) {
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT status, COUNT(*) FROM " + from + " GROUP BY status");
    for (const auto& row : rows)
      out[row.get<std::string>(0)] = rowInt(row, 1);
    return out;
  };
  // An unfinished event is 'pending' in inbox_events; the queue says which are being worked on.
  json inbox = byStatus("inbox_work", byStatus("inbox_events WHERE status <> 'pending'"));
  json outbox = byStatus("outbox_messages");
  long long inbound = 0, distinct_inbound = 0, outbound = 0, replied = 0;
  sql << "SELECT COUNT(*), COUNT(DISTINCT channel_message_id) FROM messages WHERE direction = "
         "'inbound'",
      soci::into(inbound), soci::into(distinct_inbound);
  sql << "SELECT COUNT(*), COUNT(DISTINCT in_reply_to) FROM messages WHERE direction = "
         "'outbound'",
      soci::into(outbound), soci::into(replied);
  return jsonReply(200, {{"inbox", inbox},
                         {"outbox", outbox},
                         {"inbound_messages", inbound},
                         {"distinct_inbound_messages", distinct_inbound},
                         {"outbound_messages", outbound},
                         {"inbound_messages_answered", replied}});
}

}  // namespace

void addInboxRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "pipeline/stats", Access::kOperatorOnly, pipelineStats});
  routes.push_back({"GET", "inbox", Access::kOperatorOnly, listInbox});
  routes.push_back({"POST", "inbox/{id}/replay", Access::kOperatorOnly, replayEvent});
}

}  // namespace baraza::admin
