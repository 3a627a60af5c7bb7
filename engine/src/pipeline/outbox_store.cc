#include "pipeline/outbox_store.h"

#include <algorithm>

#include "pipeline/message_store.h"
#include "storage/batch_columns.h"

namespace baraza {
namespace {

using nlohmann::json;

const Statement kEnqueue{
    "outbox_enqueue",
    "INSERT INTO outbox_messages (tenant_id, id, message_id, in_reply_to, channel_account_id, "
    "recipient, request, next_attempt_ms, created_ms, status, attempts, locked_until_ms, "
    "lease_owner) SELECT v.tenant_id, v.id, v.message_id, v.in_reply_to, v.account_id, "
    "v.recipient, v.request, $1, $1, CASE WHEN v.leased THEN 'sending' ELSE 'pending' END, CASE "
    "WHEN v.leased THEN 1 ELSE 0 END, CASE WHEN v.leased THEN $3::bigint ELSE 0 END, CASE WHEN "
    "v.leased THEN $4::text END FROM json_to_recordset($2::json) AS v(tenant_id uuid, id uuid, "
    "message_id uuid, "
    "in_reply_to uuid, account_id uuid, recipient text, request text, leased boolean) ON "
    "CONFLICT (tenant_id, in_reply_to) DO NOTHING RETURNING id",
    "INSERT INTO outbox_messages (tenant_id, id, message_id, in_reply_to, channel_account_id, "
    "recipient, request, next_attempt_ms, created_ms, status, attempts, locked_until_ms, "
    "lease_owner) SELECT value ->> 'tenant_id', value ->> 'id', value ->> 'message_id', value ->> "
    "'in_reply_to', value ->> 'account_id', value ->> 'recipient', value ->> 'request', $1, $1, "
    "CASE WHEN value ->> 'leased' THEN 'sending' ELSE 'pending' END, CASE WHEN value ->> "
    "'leased' THEN 1 ELSE 0 END, CASE WHEN value ->> 'leased' THEN $3 ELSE 0 END, CASE WHEN "
    "value ->> 'leased' THEN $4 END FROM json_each($2) WHERE true ON CONFLICT (tenant_id, "
    "in_reply_to) DO NOTHING RETURNING id"};

// Claimed rows leave outbox_messages_due, so a claim reads due sends only, however many are
// being sent, paced or waiting for a retry. Planned at each call: a plan cached while the table
// was empty joined the claimed keys by walking every row (sent ones too) and ran the locking
// scan again for each (inbox_store.cc says what that cost). Each send comes back with its
// conversation's window ("" for a send outside one), read by key for each returned row: two key
// lookups, not a join, whose plan under row-level security could walk the tenant's messages
// instead (and not a statement of its own per send, as it once was: 14 us of PostgreSQL's time
// and a round trip's share each).
const char* const kWindowColumn =
    "COALESCE((SELECT CAST(c.window_expires_at AS TEXT) FROM conversations c WHERE c.tenant_id = "
    "outbox_messages.tenant_id AND c.id = (SELECT m.conversation_id FROM messages m WHERE "
    "m.tenant_id = outbox_messages.tenant_id AND m.id = outbox_messages.message_id)), '')";
const Statement kClaim{
    "outbox_claim",
    "UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, locked_until_ms = "
    "$1, lease_owner = $2 WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM outbox_messages "
    "WHERE status = 'pending' AND next_attempt_ms <= $3 ORDER BY next_attempt_ms LIMIT $4 FOR "
    "UPDATE SKIP LOCKED) RETURNING tenant_id, id, message_id, channel_account_id, recipient, "
    "request, attempts, next_attempt_ms, " +
        std::string(kWindowColumn),
    "UPDATE outbox_messages SET status = 'sending', attempts = attempts + 1, locked_until_ms = "
    "$1, lease_owner = $2 WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM outbox_messages "
    "WHERE status = 'pending' AND next_attempt_ms <= $3 ORDER BY next_attempt_ms LIMIT $4) "
    "RETURNING tenant_id, id, message_id, channel_account_id, recipient, request, attempts, "
    "next_attempt_ms, " +
        std::string(kWindowColumn),
    true};

// Rows being recorded right now are skipped, not waited for (see inbox_store.cc). The key is
// given to the outer update too, so that whatever the plan it looks one row up rather than
// joining the locked row with every row of the table.
const Statement kRenew{
    "outbox_renew",
    "UPDATE outbox_messages SET locked_until_ms = $1 WHERE tenant_id = $2 AND id = $3 AND "
    "(tenant_id, id) IN (SELECT tenant_id, id FROM outbox_messages WHERE tenant_id = $2 AND id = "
    "$3 AND lease_owner = $4 AND status = 'sending' FOR UPDATE SKIP LOCKED) RETURNING tenant_id, "
    "id",
    "UPDATE outbox_messages SET locked_until_ms = $1 WHERE tenant_id = $2 AND id = $3 AND "
    "lease_owner = $4 AND status = 'sending' RETURNING tenant_id, id"};

const Statement kExpired{
    "outbox_expired",
    "SELECT tenant_id, id, COALESCE(lease_owner, '') FROM outbox_messages WHERE status = "
    "'sending' AND locked_until_ms < $1 ORDER BY locked_until_ms LIMIT 1000 FOR UPDATE SKIP "
    "LOCKED",
    "SELECT tenant_id, id, COALESCE(lease_owner, '') FROM outbox_messages WHERE status = "
    "'sending' AND locked_until_ms < $1 ORDER BY locked_until_ms LIMIT 1000"};

const Statement kReturn{
    "outbox_return_expired",
    "UPDATE outbox_messages SET status = 'pending', locked_until_ms = 0, lease_owner = NULL "
    "WHERE tenant_id = $1 AND id = $2 AND status = 'sending' AND locked_until_ms < $3",
    ""};

// What was sent is recorded as sent whoever holds the lease now: it went.
const Statement kOwners{
    "outbox_lease_owners",
    "SELECT DISTINCT lease_owner FROM outbox_messages WHERE status = 'sending' AND lease_owner "
    "IS NOT NULL AND lease_owner <> $1",
    ""};

const Statement kReturnOwned{
    "outbox_return_owned",
    "UPDATE outbox_messages SET status = 'pending', locked_until_ms = 0, lease_owner = NULL "
    "WHERE status = 'sending' AND lease_owner = $1 RETURNING tenant_id, id",
    ""};

// A batch's sends are recorded by one statement per table (arrays on PostgreSQL, a JSON array
// of rows on SQLite), not one per send: each execution of a statement costs PostgreSQL tens of
// microseconds before it touches a row. Each row here is leased to this sender alone, so two
// batches never lock the same rows. Both are planned at each call: prepared once, a plan cached
// while the tables were nearly empty read all 20,000 rows of each at every call once they had
// grown, even with index plans only (QueuePlans.ASentBatchOnTablesThatGrewReadsItsOwnRows); the
// planning adds a quarter to a third to their time at full load (PGSTATS, bench/README.md).
const Statement kSent{
    "outbox_sent",
    "UPDATE outbox_messages SET status = 'sent', sent_ms = $1, locked_until_ms = 0, lease_owner "
    "= NULL FROM unnest($2::uuid[], $3::uuid[]) AS v(tenant_id, id) WHERE "
    "outbox_messages.tenant_id = v.tenant_id AND outbox_messages.id = v.id",
    "UPDATE outbox_messages SET status = 'sent', sent_ms = $1, locked_until_ms = 0, lease_owner "
    "= NULL WHERE (tenant_id, id) IN (SELECT value ->> 0, value ->> 1 FROM json_each($2))",
    true};

const Statement kMessagesSent{
    "outbox_messages_sent",
    "UPDATE messages SET channel_message_id = v.channel_id, status = CASE WHEN status = 'queued' "
    "THEN 'sent' ELSE status END, updated_at = $1 FROM unnest($2::uuid[], $3::uuid[], $4::text[]) "
    "AS v(tenant_id, id, channel_id) WHERE messages.tenant_id = v.tenant_id AND messages.id = "
    "v.id",
    "UPDATE messages SET channel_message_id = v.value ->> 2, status = CASE WHEN status = 'queued' "
    "THEN 'sent' ELSE status END, updated_at = $1 FROM json_each($2) AS v WHERE "
    "messages.tenant_id = v.value ->> 0 AND messages.id = v.value ->> 1",
    true};

// Statuses that came before their message's id was known.
const Statement kEarlyStatuses{
    "outbox_early_statuses",
    "DELETE FROM pending_statuses WHERE (account_id, channel_message_id) IN (SELECT r->>0, r->>1 "
    "FROM json_array_elements($1::json) AS r) RETURNING account_id, channel_message_id, status, "
    "payload, received_ms",
    "DELETE FROM pending_statuses WHERE (account_id, channel_message_id) IN (SELECT value ->> 0, "
    "value ->> 1 FROM json_each($1)) RETURNING account_id, channel_message_id, status, payload, "
    "received_ms",
    true};

const Statement kReschedule{
    "outbox_reschedule",
    "UPDATE outbox_messages SET status = 'pending', next_attempt_ms = $1, locked_until_ms = 0, "
    "lease_owner = NULL, attempts = attempts - $2, last_error = COALESCE($3, last_error) WHERE "
    "tenant_id = $4 AND id = $5 AND lease_owner = $6 AND status = 'sending'",
    ""};

const Statement kSettle{
    "outbox_settle",
    "UPDATE outbox_messages SET status = $1, locked_until_ms = 0, lease_owner = NULL, last_error "
    "= $2 WHERE tenant_id = $3 AND id = $4 AND lease_owner = $5 AND status = 'sending'",
    ""};

const Statement kSettleMessage{
    "outbox_settle_message",
    "UPDATE messages SET status = $1, error_code = $2, error_message = $3, updated_at = $4 WHERE "
    "tenant_id = $5 AND id = $6",
    ""};

const Statement kNewRequest{
    "outbox_new_request",
    "UPDATE outbox_messages SET request = $1, status = 'pending', locked_until_ms = 0, "
    "lease_owner = NULL, next_attempt_ms = $2 WHERE tenant_id = $3 AND id = $4 AND lease_owner = "
    "$5 AND status = 'sending'",
    ""};

}  // namespace

std::set<std::string> OutboxStore::enqueue(TenantScope& tx, const std::vector<OutboxEntry>& entries,
                                           long long now_ms, const SendLease& lease) {
  std::set<std::string> queued;
  if (entries.empty())
    return queued;
  json rows = json::array();
  for (const auto& e : entries) {
    rows.push_back({{"tenant_id", e.tenant_id},
                    {"id", e.id},
                    {"message_id", e.message_id},
                    {"in_reply_to", e.in_reply_to.empty() ? json() : json(e.in_reply_to)},
                    {"account_id", e.account_id},
                    {"recipient", e.recipient},
                    {"request", e.request},
                    {"leased", e.leased && !lease.owner.empty()}});
  }
  Rows r = tx.run(kEnqueue, Params()
                                .integer(now_ms)
                                .text(rows.dump(-1, ' ', false, json::error_handler_t::replace))
                                .integer(lease.until_ms)
                                .textOrNull(lease.owner));
  for (size_t i = 0; i < r.size(); ++i)
    queued.insert(r.text(i, 0));
  return queued;
}

std::vector<ClaimedSend> OutboxStore::claim(int max, long long now_ms, long long lease_until) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Rows r = tx.run(kClaim, Params().integer(lease_until).text(owner_).integer(now_ms).integer(max));
  std::vector<ClaimedSend> sends;
  for (size_t i = 0; i < r.size(); ++i) {
    sends.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
                     r.text(i, 5), static_cast<int>(r.integer(i, 6)), r.text(i, 8),
                     r.integer(i, 7)});
  }
  tx.commit();
  return sends;
}

std::vector<OutboxStore::Key> OutboxStore::renew(const std::vector<Key>& keys, long long until) {
  if (keys.empty())
    return {};
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  std::vector<Params> batch;
  for (const auto& [tenant, id] : keys)
    batch.push_back(Params().integer(until).text(tenant).text(id).text(owner_));
  auto renewed = tx.runMany(kRenew, batch);
  tx.commit();
  std::vector<Key> held;
  for (const Rows& r : renewed) {
    if (!r.empty())
      held.emplace_back(r.text(0, 0), r.text(0, 1));
  }
  return held;
}

std::vector<std::pair<OutboxStore::Key, std::string>> OutboxStore::reapExpired(long long now_ms) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Rows expired = tx.run(kExpired, Params().integer(now_ms));
  std::vector<std::pair<Key, std::string>> out;
  if (expired.empty())
    return out;
  std::vector<Key> keys;
  for (size_t i = 0; i < expired.size(); ++i) {
    keys.emplace_back(expired.text(i, 0), expired.text(i, 1));
    out.push_back({keys.back(), expired.text(i, 2)});
  }
  std::vector<Params> batch;
  for (const auto& [tenant, id] : keys)
    batch.push_back(Params().text(tenant).text(id).integer(now_ms));
  tx.runMany(kReturn, batch);
  tx.commit();
  return out;
}

std::vector<std::string> OutboxStore::otherOwners() {
  TenantScope tx(db_, TenantScope::kAllTenants, false, TenantScope::Plans::kIndexed);
  return tx.run(kOwners, Params().text(owner_)).texts(0);
}

std::vector<OutboxStore::Key> OutboxStore::reclaimFrom(const std::string& owner) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Rows r = tx.run(kReturnOwned, Params().text(owner));
  tx.commit();
  std::vector<Key> keys;
  for (size_t i = 0; i < r.size(); ++i)
    keys.emplace_back(r.text(i, 0), r.text(i, 1));
  return keys;
}

void OutboxStore::record(const std::vector<SendResult>& results, long long now_ms,
                         const std::string& stamp) {
  if (results.empty())
    return;
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  std::vector<const SendResult*> sent;
  for (const auto& r : results) {
    if (r.kind == SendResult::Kind::kSent)
      sent.push_back(&r);
    else
      recordOne(tx, r, stamp);
  }
  recordSent(tx, sent, now_ms, stamp);
  tx.commit();
}

void OutboxStore::recordSent(TenantScope& tx, const std::vector<const SendResult*>& sent,
                             long long now_ms, const std::string& stamp) {
  if (sent.empty())
    return;
  std::vector<BatchColumn> outbox_rows(2), message_rows(3);
  json channel_ids = json::array();
  for (const SendResult* r : sent) {
    outbox_rows[0].emplace_back(r->send.tenant_id);
    outbox_rows[1].emplace_back(r->send.id);
    if (!r->receipt) {
      message_rows[0].emplace_back(r->send.tenant_id);
      message_rows[1].emplace_back(r->send.message_id);
      message_rows[2].emplace_back(r->channel_id);
      channel_ids.push_back({r->account_number, r->channel_id});
    }
  }
  Params outbox = Params().integer(now_ms);
  tx.run(kSent, batchColumns(outbox, tx.dialect(), outbox_rows));
  if (message_rows[0].empty())
    return;
  Params messages = Params().text(stamp);
  tx.run(kMessagesSent, batchColumns(messages, tx.dialect(), message_rows));
  Rows early = tx.run(kEarlyStatuses, Params().text(channel_ids.dump()));
  if (early.empty())
    return;
  struct Early {
    std::string account, channel_id, status, payload;
    long long at;
  };
  std::vector<Early> statuses;
  for (size_t i = 0; i < early.size(); ++i) {
    statuses.push_back({early.text(i, 0), early.text(i, 1), early.text(i, 2), early.text(i, 3),
                        early.integer(i, 4)});
  }
  std::sort(statuses.begin(), statuses.end(),
            [](const Early& a, const Early& b) { return a.at < b.at; });
  for (const auto& s : statuses) {
    for (const SendResult* r : sent) {
      if (r->account_number == s.account && r->channel_id == s.channel_id) {
        message_store::applyStatus(tx, r->send.tenant_id, s.channel_id, s.status, s.payload, stamp);
        break;
      }
    }
  }
}

void OutboxStore::recordOne(TenantScope& tx, const SendResult& r, const std::string& stamp) {
  const ClaimedSend& s = r.send;
  switch (r.kind) {
    case SendResult::Kind::kPaced:
    case SendResult::Kind::kRetry:
      tx.run(kReschedule, Params()
                              .integer(r.at_ms)
                              .integer(r.kind == SendResult::Kind::kPaced ? 1 : 0)
                              .textOrNull(r.error)
                              .text(s.tenant_id)
                              .text(s.id)
                              .text(owner_));
      break;
    case SendResult::Kind::kSettled:
      tx.run(
          kSettle,
          Params().text(r.outbox_status).text(r.error).text(s.tenant_id).text(s.id).text(owner_));
      if (!r.message_status.empty()) {
        tx.run(kSettleMessage, Params()
                                   .text(r.message_status)
                                   .text(r.error_code)
                                   .text(r.error)
                                   .text(stamp)
                                   .text(s.tenant_id)
                                   .text(s.message_id));
      }
      break;
    case SendResult::Kind::kNewRequest:
      tx.run(kNewRequest,
             Params().text(r.request).integer(r.at_ms).text(s.tenant_id).text(s.id).text(owner_));
      break;
    case SendResult::Kind::kSent:
      break;
  }
}

}  // namespace baraza
