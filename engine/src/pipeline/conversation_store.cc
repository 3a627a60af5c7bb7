#include "pipeline/conversation_store.h"

#include "core/uuid.h"

namespace baraza::conversation_store {
namespace {

const Statement kTouch{
    "conversation_touch",
    "UPDATE conversations SET window_expires_at = GREATEST(window_expires_at, CAST($1 AS "
    "TIMESTAMPTZ)), last_message_at = GREATEST(last_message_at, CAST($2 AS TIMESTAMPTZ)) WHERE "
    "tenant_id = $3 AND id = (SELECT id FROM conversations WHERE tenant_id = $3 AND contact_id = "
    "$4 AND channel_account_id = $5 AND status <> 'closed' ORDER BY last_message_at DESC LIMIT "
    "1) RETURNING id, status, assigned_to, assigned_at, window_expires_at, (SELECT COUNT(*) FROM "
    "actions a WHERE a.tenant_id = $3 AND a.conversation_id = conversations.id AND a.type = "
    "'escalation' AND a.status = 'open' AND a.created_at >= CAST($6 AS TIMESTAMPTZ))",
    "UPDATE conversations SET window_expires_at = MAX(COALESCE(window_expires_at, ''), $1), "
    "last_message_at = MAX(last_message_at, $2) WHERE tenant_id = $3 AND id = (SELECT id FROM "
    "conversations WHERE tenant_id = $3 AND contact_id = $4 AND channel_account_id = $5 AND "
    "status <> 'closed' ORDER BY last_message_at DESC LIMIT 1) RETURNING id, status, "
    "assigned_to, assigned_at, window_expires_at, (SELECT COUNT(*) FROM actions a WHERE "
    "a.tenant_id = $3 AND a.conversation_id = conversations.id AND a.type = 'escalation' AND "
    "a.status = 'open' AND a.created_at >= $6)"};

const Statement kOpen{
    "conversation_open",
    "INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id, "
    "window_expires_at, started_at, last_message_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
    ""};

const Statement kMarkEscalated{
    "conversation_mark_escalated",
    "UPDATE conversations SET status = 'escalated' WHERE tenant_id = $1 AND id = $2", ""};

}  // namespace

PreparedStatements::Call touchCall(const std::string& tenant_id, const std::string& contact_id,
                                   const std::string& channel_account_id,
                                   const std::string& inbound_at,
                                   const std::string& window_expires_at,
                                   const std::string& paused_since) {
  return {&kTouch, Params()
                       .text(window_expires_at)
                       .text(inbound_at)
                       .text(tenant_id)
                       .text(contact_id)
                       .text(channel_account_id)
                       .text(paused_since)};
}

std::optional<ConversationRow> touched(const Rows& r) {
  if (r.empty())
    return std::nullopt;
  ConversationRow c{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3), r.text(0, 4)};
  c.paused = r.integer(0, 5) > 0;
  return c;
}

PreparedStatements::Call openCall(const std::string& tenant_id, const std::string& contact_id,
                                  const std::string& channel_account_id,
                                  const std::string& inbound_at,
                                  const std::string& window_expires_at, ConversationRow& opened) {
  opened = ConversationRow{newUuid(), "open", "", "", window_expires_at, true};
  return {&kOpen, Params()
                      .text(tenant_id)
                      .text(opened.id)
                      .text(contact_id)
                      .text(channel_account_id)
                      .text(window_expires_at)
                      .text(inbound_at)};
}

ConversationRow touch(TenantScope& tx, const std::string& tenant_id, const std::string& contact_id,
                      const std::string& channel_account_id, const std::string& inbound_at,
                      const std::string& window_expires_at, const std::string& paused_since,
                      bool new_contact) {
  if (!new_contact) {
    auto call = touchCall(tenant_id, contact_id, channel_account_id, inbound_at, window_expires_at,
                          paused_since);
    if (auto found = touched(tx.run(*call.statement, call.params)))
      return *found;
  }
  ConversationRow c;
  auto call = openCall(tenant_id, contact_id, channel_account_id, inbound_at, window_expires_at, c);
  tx.run(*call.statement, call.params);
  return c;
}

void markEscalated(TenantScope& tx, const std::string& tenant_id,
                   const std::string& conversation_id) {
  tx.run(kMarkEscalated, Params().text(tenant_id).text(conversation_id));
}

}  // namespace baraza::conversation_store
