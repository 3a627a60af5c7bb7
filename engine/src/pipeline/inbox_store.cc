#include "pipeline/inbox_store.h"

#include <algorithm>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "storage/batch_columns.h"

namespace baraza {
namespace {

using nlohmann::json;

// Stored events, then their queue rows. A redelivered event (same channel, account and dedupe
// key) is skipped, and so gets no queue row. On PostgreSQL the batch travels as one array per
// column: `r->>5` on a JSON array re-reads the row up to its payload, once per column (3% of
// the database's CPU under load).
const Statement kInsert{
    "inbox_insert",
    "INSERT INTO inbox_events (channel_type, account_id, dedupe_key, kind, order_key, payload, "
    "next_attempt_ms, received_ms) SELECT v.channel_type, v.account_id, v.dedupe_key, v.kind, "
    "v.order_key, v.payload, $1, $1 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], "
    "$6::text[], $7::text[]) AS v(channel_type, account_id, dedupe_key, kind, order_key, payload) "
    "ON CONFLICT (channel_type, account_id, dedupe_key) DO NOTHING RETURNING id, order_key",
    "INSERT INTO inbox_events (channel_type, account_id, dedupe_key, kind, order_key, payload, "
    "next_attempt_ms, received_ms) SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, "
    "value ->> 4, value ->> 5, $1, $1 FROM json_each($2) WHERE true ON CONFLICT (channel_type, "
    "account_id, dedupe_key) DO NOTHING RETURNING id, order_key"};

const Statement kQueue{
    "inbox_queue",
    "INSERT INTO inbox_work (event_id, order_key, next_attempt_ms) SELECT v.id, v.order_key, $1 "
    "FROM unnest($2::bigint[], $3::text[]) AS v(id, order_key)",
    "INSERT INTO inbox_work (event_id, order_key, next_attempt_ms) SELECT value ->> 0, value ->> "
    "1, $1 FROM json_each($2)"};

// Due events that are the first unfinished event of their contact: one contact's messages are
// processed one at a time, in order. The test is a lookup of the contact's first unfinished id
// (inbox_work_order, named by its ORDER BY), not an anti-join the planner could turn into a scan
// of every unfinished event per claim. Claimed rows leave inbox_work_due, so the scan reads due
// work only. The picked ids come as one array (an InitPlan run once), never as a semi-join that
// could run the locking scan again for each row of the table; and the statement is planned at
// each call: a plan cached while the queue was empty walked the whole queue once it had grown
// (a claim of 2.7 s, and workers' finishes waiting on its row locks, 1 run in 3 at full load).
const Statement kClaim{
    "inbox_claim",
    "UPDATE inbox_work SET status = 'processing', attempts = attempts + 1, locked_until_ms = $1, "
    "lease_owner = $2 WHERE event_id = ANY(ARRAY(SELECT w.event_id FROM inbox_work w WHERE "
    "w.status = 'pending' AND w.next_attempt_ms <= $3 AND w.event_id = (SELECT p.event_id FROM "
    "inbox_work p WHERE p.order_key = w.order_key ORDER BY p.order_key, p.event_id LIMIT 1) ORDER "
    "BY w.next_attempt_ms, w.event_id LIMIT $4 FOR UPDATE SKIP LOCKED)) RETURNING event_id, "
    "attempts, order_key, next_attempt_ms",
    "UPDATE inbox_work SET status = 'processing', attempts = attempts + 1, locked_until_ms = $1, "
    "lease_owner = $2 WHERE event_id IN (SELECT w.event_id FROM inbox_work w WHERE w.status = "
    "'pending' AND w.next_attempt_ms <= $3 AND w.event_id = (SELECT MIN(p.event_id) FROM "
    "inbox_work p WHERE p.order_key = w.order_key) ORDER BY w.next_attempt_ms, w.event_id LIMIT "
    "$4) RETURNING event_id, attempts, order_key, next_attempt_ms",
    true};

const Statement kClaimed{
    "inbox_claimed_events",
    "SELECT id, kind, account_id, payload, received_ms FROM inbox_events WHERE id = "
    "ANY($1::bigint[])",
    "SELECT id, kind, account_id, payload, received_ms FROM inbox_events WHERE id IN (SELECT "
    "value FROM json_each($1))"};

// A row a batch's transaction is finishing right now is skipped, not waited for: renewals never
// wait on the work they keep alive (and so never deadlock with it); it is renewed next time if
// it is still held.
const Statement kRenew{
    "inbox_renew",
    "UPDATE inbox_work SET locked_until_ms = $1 WHERE event_id = ANY(ARRAY(SELECT event_id FROM "
    "inbox_work WHERE event_id = ANY($2::bigint[]) AND lease_owner = $3 AND status = "
    "'processing' FOR UPDATE SKIP LOCKED)) RETURNING event_id",
    "UPDATE inbox_work SET locked_until_ms = $1 WHERE event_id IN (SELECT value FROM "
    "json_each($2)) AND lease_owner = $3 AND status = 'processing' RETURNING event_id",
    true};

const Statement kExpired{
    "inbox_expired",
    "SELECT event_id, COALESCE(lease_owner, '') FROM inbox_work WHERE status = 'processing' AND "
    "locked_until_ms < $1 ORDER BY locked_until_ms LIMIT 1000 FOR UPDATE SKIP LOCKED",
    "SELECT event_id, COALESCE(lease_owner, '') FROM inbox_work WHERE status = 'processing' AND "
    "locked_until_ms < $1 ORDER BY locked_until_ms LIMIT 1000"};

const Statement kReturn{
    "inbox_return_expired",
    "UPDATE inbox_work SET status = 'pending', locked_until_ms = 0, lease_owner = NULL WHERE "
    "event_id = ANY($1::bigint[]) AND status = 'processing' AND locked_until_ms < $2",
    "UPDATE inbox_work SET status = 'pending', locked_until_ms = 0, lease_owner = NULL WHERE "
    "event_id IN (SELECT value FROM json_each($1)) AND status = 'processing' AND "
    "locked_until_ms < $2"};

const Statement kOwners{
    "inbox_lease_owners",
    "SELECT DISTINCT lease_owner FROM inbox_work WHERE status = 'processing' AND lease_owner IS "
    "NOT NULL AND lease_owner <> $1",
    ""};

const Statement kReturnOwned{
    "inbox_return_owned",
    "UPDATE inbox_work SET status = 'pending', locked_until_ms = 0, lease_owner = NULL WHERE "
    "status = 'processing' AND lease_owner = $1 RETURNING event_id",
    ""};

// A finish takes the batch's queue rows still leased by this process, then marks their events
// with their status, tenant and attempts. The batch travels as arrays on PostgreSQL: a JSON
// document was parsed again for every leased row the planner chose to loop over (16,000 rows
// compared and 60 ms a call under load).
const Statement kTakeLeased{
    "inbox_take_leased",
    "DELETE FROM inbox_work WHERE event_id = ANY($1::bigint[]) AND lease_owner = $2 AND status "
    "= 'processing' RETURNING event_id, attempts",
    "DELETE FROM inbox_work WHERE event_id IN (SELECT value FROM json_each($1)) AND lease_owner "
    "= $2 AND status = 'processing' RETURNING event_id, attempts"};

const Statement kMarkFinished{
    "inbox_mark_finished",
    "UPDATE inbox_events SET status = v.status, tenant_slug = v.slug, attempts = v.attempts, "
    "done_ms = $1, last_error = NULL FROM unnest($2::bigint[], $3::text[], $4::text[], "
    "$5::integer[]) AS v(id, status, slug, attempts) WHERE inbox_events.id = v.id",
    "UPDATE inbox_events SET status = v.status, tenant_slug = v.slug, attempts = v.attempts, "
    "done_ms = $1, last_error = NULL FROM (SELECT value ->> 0 AS id, value ->> 1 AS status, "
    "value ->> 2 AS slug, value ->> 3 AS attempts FROM json_each($2)) AS v WHERE "
    "inbox_events.id = v.id",
    true};

const Statement kPostpone{
    "inbox_postpone",
    "UPDATE inbox_work SET status = 'pending', next_attempt_ms = $1, attempts = attempts - 1, "
    "locked_until_ms = 0, lease_owner = NULL WHERE event_id = $2 AND lease_owner = $3 AND "
    "status = 'processing'",
    ""};

const Statement kRetryLater{
    "inbox_retry_later",
    "UPDATE inbox_work SET status = 'pending', next_attempt_ms = $1, locked_until_ms = 0, "
    "lease_owner = NULL WHERE event_id = $2 AND lease_owner = $3 AND status = 'processing' "
    "RETURNING attempts",
    ""};

const Statement kDrop{"inbox_drop",
                      "DELETE FROM inbox_work WHERE event_id = $1 AND lease_owner = $2 AND "
                      "status = 'processing' RETURNING attempts",
                      ""};

const Statement kMarkFailed{
    "inbox_mark_failed",
    "UPDATE inbox_events SET status = $1, attempts = $2, last_error = $3 WHERE id = $4", ""};

const Statement kRelease{
    "inbox_release",
    "UPDATE inbox_work SET status = 'pending', attempts = attempts - 1, locked_until_ms = 0, "
    "lease_owner = NULL WHERE event_id = ANY($1::bigint[]) AND lease_owner = $2 AND status = "
    "'processing'",
    "UPDATE inbox_work SET status = 'pending', attempts = attempts - 1, locked_until_ms = 0, "
    "lease_owner = NULL WHERE event_id IN (SELECT value FROM json_each($1)) AND lease_owner = $2 "
    "AND status = 'processing'"};

const Statement kLater{"inbox_later_events",
                       "SELECT COUNT(*) FROM inbox_work WHERE order_key = $1 AND event_id > $2",
                       ""};

using Column = BatchColumn;

// A batch's ids as one parameter: a PostgreSQL array, or a JSON array for SQLite's json_each.
Params& idsParam(Params& p, Dialect dialect, const std::vector<long long>& ids) {
  if (dialect == Dialect::kPostgresql) {
    Column items;
    for (long long id : ids)
      items.emplace_back(std::to_string(id));
    return p.textArray(items);
  }
  return p.text(json(ids).dump());
}

std::vector<long long> idsOf(const Rows& rows) {
  std::vector<long long> ids;
  for (size_t i = 0; i < rows.size(); ++i)
    ids.push_back(rows.integer(i, 0));
  return ids;
}

}  // namespace

void InboxStore::insert(TenantScope& tx, const std::vector<InboxEvent>& events, long long now_ms) {
  // A batch costs one round trip, and its queue rows one more.
  std::vector<Column> columns(6);
  for (const auto& e : events) {
    for (size_t c = 0; const std::string* v : {&e.channel_type, &e.account_id, &e.dedupe_key,
                                               &e.kind, &e.order_key, &e.payload})
      columns[c++].emplace_back(*v);
  }
  Params params;
  params.integer(now_ms);
  Rows stored = tx.run(kInsert, batchColumns(params, tx.dialect(), columns));
  if (stored.empty())
    return;
  Column ids, order_keys;
  for (size_t i = 0; i < stored.size(); ++i) {
    ids.emplace_back(stored.text(i, 0));
    order_keys.emplace_back(stored.text(i, 1));
  }
  Params queue;
  queue.integer(now_ms);
  tx.run(kQueue, batchColumns(queue, tx.dialect(), {ids, order_keys}));
}

std::vector<InboundEvent> InboxStore::claim(int max, long long now_ms, long long lease_until) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Rows work =
      tx.run(kClaim, Params().integer(lease_until).text(owner_).integer(now_ms).integer(max));
  std::vector<InboundEvent> events;
  if (work.empty())
    return events;
  std::vector<long long> ids = idsOf(work);
  Params p;
  Rows stored = tx.run(kClaimed, idsParam(p, tx.dialect(), ids));
  tx.commit();
  std::map<long long, size_t> row_of;
  for (size_t i = 0; i < stored.size(); ++i)
    row_of[stored.integer(i, 0)] = i;
  for (size_t i = 0; i < work.size(); ++i) {
    auto found = row_of.find(work.integer(i, 0));
    if (found == row_of.end())
      continue;  // a queue row without its event: cannot happen while both are written together
    size_t row = found->second;
    InboundEvent e;
    e.inbox_id = work.integer(i, 0);
    e.attempts = static_cast<int>(work.integer(i, 1));
    e.order_key = work.text(i, 2);
    e.due_ms = work.integer(i, 3);
    e.kind = stored.text(row, 1);
    e.account_id = stored.text(row, 2);
    e.payload = stored.text(row, 3);
    e.received_ms = stored.integer(row, 4);
    events.push_back(std::move(e));
  }
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a.inbox_id < b.inbox_id; });
  return events;
}

std::vector<long long> InboxStore::renew(const std::vector<long long>& ids, long long until) {
  if (ids.empty())
    return {};
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Params p;
  p.integer(until);
  Rows r = tx.run(kRenew, idsParam(p, tx.dialect(), ids).text(owner_));
  tx.commit();
  return idsOf(r);
}

std::vector<std::pair<long long, std::string>> InboxStore::reapExpired(long long now_ms) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Rows expired = tx.run(kExpired, Params().integer(now_ms));
  std::vector<std::pair<long long, std::string>> out;
  if (expired.empty())
    return out;
  for (size_t i = 0; i < expired.size(); ++i)
    out.emplace_back(expired.integer(i, 0), expired.text(i, 1));
  Params p;
  tx.run(kReturn, idsParam(p, tx.dialect(), idsOf(expired)).integer(now_ms));
  tx.commit();
  return out;
}

std::vector<std::string> InboxStore::otherOwners() {
  TenantScope tx(db_, TenantScope::kAllTenants, false, TenantScope::Plans::kIndexed);
  return tx.run(kOwners, Params().text(owner_)).texts(0);
}

std::vector<long long> InboxStore::reclaimFrom(const std::string& owner) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  auto ids = idsOf(tx.run(kReturnOwned, Params().text(owner)));
  tx.commit();
  return ids;
}

std::vector<long long> InboxStore::finish(TenantScope& tx, const std::vector<FinishedEvent>& events,
                                          long long now_ms) {
  if (events.empty())
    return {};
  std::vector<long long> ids;
  for (const auto& e : events)
    ids.push_back(e.id);
  Params take;
  Rows held = tx.run(kTakeLeased, idsParam(take, tx.dialect(), ids).text(owner_));
  std::map<long long, std::string> attempts;
  for (size_t i = 0; i < held.size(); ++i)
    attempts[held.integer(i, 0)] = held.text(i, 1);
  Column mark_ids, statuses, slugs, tries;
  for (const auto& e : events) {
    auto found = attempts.find(e.id);
    if (found == attempts.end())
      continue;
    mark_ids.emplace_back(std::to_string(e.id));
    statuses.emplace_back(e.status);
    slugs.push_back(e.tenant_slug.empty() ? std::nullopt : std::optional(e.tenant_slug));
    tries.emplace_back(found->second);
  }
  if (!mark_ids.empty()) {
    Params mark;
    mark.integer(now_ms);
    tx.run(kMarkFinished, batchColumns(mark, tx.dialect(), {mark_ids, statuses, slugs, tries}));
  }
  return idsOf(held);
}

bool InboxStore::postpone(TenantScope& tx, long long id, long long at_ms) {
  return tx.run(kPostpone, Params().integer(at_ms).integer(id).text(owner_)).affected() > 0;
}

void InboxStore::fail(long long id, bool dead, long long next_ms, const std::string& error) {
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  // A dead event leaves the queue; a retried one waits in it. Either way its event row shows the
  // attempts and the error.
  Rows work = dead ? tx.run(kDrop, Params().integer(id).text(owner_))
                   : tx.run(kRetryLater, Params().integer(next_ms).integer(id).text(owner_));
  if (work.empty())
    return;  // no longer this process's: another took it after this one stalled
  tx.run(kMarkFailed, Params()
                          .text(dead ? "dead" : "pending")
                          .integer(work.integer(0, 0))
                          .text(error.substr(0, 1000))
                          .integer(id));
  tx.commit();
}

void InboxStore::release(const std::vector<long long>& ids) {
  if (ids.empty())
    return;
  TenantScope tx(db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  Params p;
  tx.run(kRelease, idsParam(p, tx.dialect(), ids).text(owner_));
  tx.commit();
}

long long InboxStore::laterEvents(TenantScope& tx, const std::string& order_key, long long id) {
  return tx.run(kLater, Params().text(order_key).integer(id)).integer(0, 0);
}

}  // namespace baraza
