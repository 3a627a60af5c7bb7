#include "pipeline/contact_store.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/uuid.h"

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

}  // namespace baraza::contact_store
