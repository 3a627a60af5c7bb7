// /outbox (operator): sends that failed for good (dead letters), and their retry.
#include "admin/admin_support.h"
#include "core/uuid.h"
#include "pipeline/clock.h"
#include "tenancy/audit.h"

namespace baraza::admin {
namespace {

// GET /outbox?status=dead|blocked_by_window&limit=&cursor=: newest first, with the last error.
HttpResponse listOutbox(AdminRequest& r) {
  PageRequest page;
  if (auto bad = readPage(r.http, 50, 500, 2, page))
    return *bad;
  std::string status = r.http.queryParam("status");
  if (status.empty())
    status = "dead";
  if (status != "dead" && status != "blocked_by_window")
    return invalidField("status", "must be dead or blocked_by_window");
  // The status as a literal (one of the two above), so both dialects read the partial index
  // outbox_messages_settled instead of the whole outbox.
  std::string text =
      "SELECT CAST(o.id AS TEXT), t.slug, o.recipient, o.attempts, COALESCE(o.last_error, ''), "
      "CAST(o.created_ms AS TEXT), o.status FROM outbox_messages o JOIN tenants t ON t.id = "
      "o.tenant_id WHERE o.status = '" +
      status + "' AND o.status IN ('dead', 'blocked_by_window')";
  std::vector<std::string> params;
  if (!page.after.empty()) {
    text += " AND (o.created_ms < :c OR (o.created_ms = :c2 AND CAST(o.id AS TEXT) < :ci))";
    params.insert(params.end(), {page.after[0], page.after[0], page.after[1]});
  }
  text += " ORDER BY o.created_ms DESC, CAST(o.id AS TEXT) DESC LIMIT :n";
  TenantScope tx(r.deps.db, TenantScope::kAllTenants);
  json next;
  json list = fetchPage(
      tx.sql(), text, params, page.limit,
      [](const soci::row& row) {
        return json{{"id", row.get<std::string>(0)},
                    {"tenant", row.get<std::string>(1)},
                    {"recipient", row.get<std::string>(2)},
                    {"attempts", rowInt(row, 3)},
                    {"error", row.get<std::string>(4)},
                    {"created_ms", std::stoll(row.get<std::string>(5))},
                    {"status", row.get<std::string>(6)}};
      },
      {5, 0}, next);
  return jsonReply(200, {{"sends", list}, {"next_cursor", next}});
}

// POST /outbox/{id}/retry: a dead send goes back to the queue, its attempts reset.
HttpResponse retrySend(AdminRequest& r) {
  if (!isUuidText(r.params[0]))
    return notFound("no outbox send " + r.params[0]);
  long long now = systemNowMs();
  TenantScope tx(r.deps.db, TenantScope::kAllTenants, true);
  soci::session& sql = tx.sql();
  std::string status, tenant_id, message_id;
  sql << "SELECT status, CAST(tenant_id AS TEXT), CAST(message_id AS TEXT) FROM outbox_messages "
         "WHERE id = :i",
      soci::use(r.params[0]), soci::into(status), soci::into(tenant_id), soci::into(message_id);
  if (!sql.got_data())
    return notFound("no outbox send " + r.params[0]);
  if (status != "dead" && status != "blocked_by_window")
    return jsonError(409, "conflict", "send " + r.params[0] + " is " + status + ", not dead");
  sql << "UPDATE outbox_messages SET status = 'pending', attempts = 0, next_attempt_ms = :n, "
         "locked_until_ms = 0, lease_owner = NULL WHERE tenant_id = :t AND id = :i",
      soci::use(now), soci::use(tenant_id), soci::use(r.params[0]);
  sql << "UPDATE messages SET status = 'queued', error_code = NULL, error_message = NULL WHERE "
         "tenant_id = :t AND id = :m AND direction = 'outbound'",
      soci::use(tenant_id), soci::use(message_id);
  writeOperatorAudit(sql, r.caller.actor, "retry", "outbox_send", r.params[0],
                     {{"status", "pending"}}, {{"status", status}});
  tx.commit();
  return jsonReply(202, {{"id", r.params[0]}, {"status", "pending"}});
}

}  // namespace

void addOutboxRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "outbox", Access::kOperatorOnly, listOutbox});
  routes.push_back({"POST", "outbox/{id}/retry", Access::kOperatorOnly, retrySend});
}

}  // namespace baraza::admin
