#include "pipeline/contact_store.h"

#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/uuid.h"
#include "storage/batch_columns.h"

namespace baraza::contact_store {
namespace {

// Keyed by wa_id: one statement, found or created.
const Statement kUpsertByWaId{
    "contact_upsert_by_wa_id",
    "INSERT INTO contacts (tenant_id, id, channel_type, wa_id, phone, username, profile_name, "
    "first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT "
    "(tenant_id, channel_type, wa_id) DO UPDATE SET phone = COALESCE(excluded.phone, "
    "contacts.phone), username = COALESCE(excluded.username, contacts.username), profile_name = "
    "COALESCE(excluded.profile_name, contacts.profile_name), last_seen_at = excluded.last_seen_at "
    "RETURNING id, CASE WHEN id = $2 THEN 1 ELSE 0 END",
    ""};

// The same for a batch's senders, in one statement. The rows span tenants; each one's id says
// whether it was created (the id sent) or found (another).
const Statement kUpsertManyByWaId{
    "contact_upsert_many_by_wa_id",
    "INSERT INTO contacts AS c (tenant_id, id, channel_type, wa_id, phone, username, "
    "profile_name, first_seen_at, last_seen_at) SELECT v.tenant_id, v.id, v.channel_type, "
    "v.wa_id, v.phone, v.username, v.profile_name, v.at, v.at FROM unnest($1::uuid[], "
    "$2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
    "$8::timestamptz[]) AS v(tenant_id, id, channel_type, wa_id, phone, username, profile_name, "
    "at) ON CONFLICT (tenant_id, channel_type, wa_id) DO UPDATE SET phone = "
    "COALESCE(excluded.phone, c.phone), username = COALESCE(excluded.username, c.username), "
    "profile_name = COALESCE(excluded.profile_name, c.profile_name), last_seen_at = "
    "excluded.last_seen_at RETURNING CAST(c.tenant_id AS TEXT), c.channel_type, c.wa_id, "
    "CAST(c.id AS TEXT)",
    "INSERT INTO contacts AS c (tenant_id, id, channel_type, wa_id, phone, username, "
    "profile_name, first_seen_at, last_seen_at) SELECT value ->> 0, value ->> 1, value ->> 2, "
    "value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 7 FROM "
    "json_each($1) WHERE true ON CONFLICT (tenant_id, channel_type, wa_id) DO UPDATE SET phone = "
    "COALESCE(excluded.phone, c.phone), username = COALESCE(excluded.username, c.username), "
    "profile_name = COALESCE(excluded.profile_name, c.profile_name), last_seen_at = "
    "excluded.last_seen_at RETURNING tenant_id, channel_type, wa_id, id"};

// Keyed by the business-scoped user id; the wa_id moves to it only when no other contact
// holds it.
const Statement kUpdateByUserId{
    "contact_update_by_user_id",
    "UPDATE contacts SET wa_id = CASE WHEN $4::text IS NULL OR EXISTS (SELECT 1 FROM contacts o "
    "WHERE o.tenant_id = $1 AND o.channel_type = $2 AND o.wa_id = $4 AND o.id <> contacts.id) "
    "THEN wa_id ELSE $4 END, phone = COALESCE($5, phone), username = COALESCE($6, username), "
    "profile_name = COALESCE($7, profile_name), last_seen_at = $8 WHERE tenant_id = $1 AND "
    "channel_type = $2 AND business_user_id = $3 RETURNING id, wa_id",
    "UPDATE contacts SET wa_id = CASE WHEN $4 IS NULL OR EXISTS (SELECT 1 FROM contacts o WHERE "
    "o.tenant_id = $1 AND o.channel_type = $2 AND o.wa_id = $4 AND o.id <> contacts.id) THEN "
    "wa_id ELSE $4 END, phone = COALESCE($5, phone), username = COALESCE($6, username), "
    "profile_name = COALESCE($7, profile_name), last_seen_at = $8 WHERE tenant_id = $1 AND "
    "channel_type = $2 AND business_user_id = $3 RETURNING id, wa_id"};

// Known by wa_id from before Meta sent a business-scoped id: the same person.
const Statement kAdoptUserId{
    "contact_adopt_user_id",
    "UPDATE contacts SET business_user_id = $3, username = COALESCE($5, username), profile_name "
    "= COALESCE($6, profile_name), last_seen_at = $7 WHERE tenant_id = $1 AND channel_type = $2 "
    "AND wa_id = $4 RETURNING id",
    ""};

const Statement kInsert{
    "contact_insert",
    "INSERT INTO contacts (tenant_id, id, channel_type, wa_id, phone, business_user_id, "
    "username, profile_name, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
    "$8, $9, $9)",
    ""};

}  // namespace

bool oneStatement(const Sender& from) {
  return from.user_id.empty();
}

namespace {

PreparedStatements::Call upsertCall(const std::string& tenant_id, const std::string& channel_type,
                                    const Sender& from, const std::string& stamp) {
  return {&kUpsertByWaId, Params()
                              .text(tenant_id)
                              .text(newUuid())
                              .text(channel_type)
                              .textOrNull(from.wa_id)
                              .textOrNull(from.phone.empty() ? from.wa_id : from.phone)
                              .textOrNull(from.username)
                              .textOrNull(from.profile_name)
                              .text(stamp)};
}

Upserted upserted(const Rows& rows) {
  return {rows.text(0, 0), rows.integer(0, 1) == 1};
}

std::string keyOf(const ByWaId& s) {
  return s.tenant_id + '\n' + s.channel_type + '\n' + s.from->wa_id;
}

}  // namespace

Upserted upsert(TenantScope& tx, const std::string& tenant_id, const std::string& channel_type,
                const Sender& from, const std::string& stamp) {
  const std::string& phone = from.phone.empty() ? from.wa_id : from.phone;
  if (oneStatement(from)) {
    auto call = upsertCall(tenant_id, channel_type, from, stamp);
    return upserted(tx.run(*call.statement, call.params));
  }
  Rows found = tx.run(kUpdateByUserId, Params()
                                           .text(tenant_id)
                                           .text(channel_type)
                                           .text(from.user_id)
                                           .textOrNull(from.wa_id)
                                           .textOrNull(phone)
                                           .textOrNull(from.username)
                                           .textOrNull(from.profile_name)
                                           .text(stamp));
  if (!found.empty()) {
    if (!from.wa_id.empty() && found.text(0, 1) != from.wa_id) {
      spdlog::warn("tenant {}: contact {} arrived with a wa_id another contact holds; not moved",
                   tenant_id, found.text(0, 0));
      MetricsRegistry::global().counterAdd("baraza_contact_identity_conflicts_total", {});
    }
    return {found.text(0, 0), false};
  }
  if (!from.wa_id.empty()) {
    Rows adopted = tx.run(kAdoptUserId, Params()
                                            .text(tenant_id)
                                            .text(channel_type)
                                            .text(from.user_id)
                                            .text(from.wa_id)
                                            .textOrNull(from.username)
                                            .textOrNull(from.profile_name)
                                            .text(stamp));
    if (!adopted.empty())
      return {adopted.text(0, 0), false};
  }
  std::string id = newUuid();
  tx.run(kInsert, Params()
                      .text(tenant_id)
                      .text(id)
                      .text(channel_type)
                      .textOrNull(from.wa_id)
                      .textOrNull(phone)
                      .text(from.user_id)
                      .textOrNull(from.username)
                      .textOrNull(from.profile_name)
                      .text(stamp));
  return {id, true};
}

std::vector<Upserted> upsertMany(TenantScope& tx, const std::vector<ByWaId>& senders) {
  if (senders.empty())
    return {};
  // A statement upserts a row once: a sender seen before in the batch goes after it, alone.
  std::vector<size_t> first, again;
  std::set<std::string> keys;
  for (size_t i = 0; i < senders.size(); ++i) {
    bool repeated = !senders[i].from->wa_id.empty() && !keys.insert(keyOf(senders[i])).second;
    (repeated ? again : first).push_back(i);
  }
  auto orNull = [](const std::string& v) -> std::optional<std::string> {
    return v.empty() ? std::nullopt : std::optional(v);
  };
  std::vector<BatchColumn> columns(8);
  std::vector<std::string> ids;
  for (size_t i : first) {
    const ByWaId& s = senders[i];
    const Sender& from = *s.from;
    ids.push_back(newUuid());
    columns[0].push_back(s.tenant_id);
    columns[1].push_back(ids.back());
    columns[2].push_back(s.channel_type);
    columns[3].push_back(orNull(from.wa_id));
    columns[4].push_back(orNull(from.phone.empty() ? from.wa_id : from.phone));
    columns[5].push_back(orNull(from.username));
    columns[6].push_back(orNull(from.profile_name));
    columns[7].push_back(s.stamp);
  }
  tx.actFor(TenantScope::kAllTenants);  // the rows span tenants
  Params params;
  Rows rows = tx.run(kUpsertManyByWaId, batchColumns(params, tx.dialect(), columns));
  std::map<std::string, std::string> found;  // tenant, channel and wa_id -> the contact's id
  std::set<std::string> returned;
  for (size_t i = 0; i < rows.size(); ++i) {
    found[rows.text(i, 0) + '\n' + rows.text(i, 1) + '\n' + rows.text(i, 2)] = rows.text(i, 3);
    returned.insert(rows.text(i, 3));
  }
  std::vector<Upserted> out(senders.size());
  for (size_t n = 0; n < first.size(); ++n) {
    if (returned.count(ids[n])) {
      out[first[n]] = {ids[n], true};
      continue;
    }
    auto it = found.find(keyOf(senders[first[n]]));
    if (it == found.end())
      throw StorageError("contacts: the batch upsert returned no row for a sender");
    out[first[n]] = {it->second, false};
  }
  for (size_t i : again)
    out[i] = upsert(tx, senders[i].tenant_id, senders[i].channel_type, *senders[i].from,
                    senders[i].stamp);
  return out;
}

}  // namespace baraza::contact_store
