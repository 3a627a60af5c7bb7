#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "storage/database.h"

namespace baraza {

// The rows one inbound message touches, written inside the caller's tenant transaction.

struct ConversationRow {
  std::string id;
  std::string status;             // open, escalated, closed
  std::string assigned_to;        // "" when the bot is in charge
  std::string assigned_at;        // ISO, "" when not assigned
  std::string window_expires_at;  // ISO
  bool created = false;           // opened by this message (touchConversation)
};

// The contact of `from` (normalized event), keyed on the business-scoped user id when present,
// else wa_id; created or updated (profile name, username, phone kept current). Returns its id.
std::string upsertContact(soci::session& sql, const std::string& tenant_id,
                          const std::string& channel_type, const nlohmann::json& from);

// The contact's open conversation on this account, or a new one; its 24-hour window and last
// message time moved to `inbound_at` (ISO) + 24 h.
ConversationRow touchConversation(soci::session& sql, Dialect d, const std::string& tenant_id,
                                  const std::string& contact_id,
                                  const std::string& channel_account_id,
                                  const std::string& inbound_at);

// The conversation as stored.
std::optional<ConversationRow> readConversation(soci::session& sql, const std::string& tenant_id,
                                                const std::string& id);

// Stores an inbound message from its normalized event; returns its id and whether it is new
// (false: a redelivered or reprocessed message already stored).
std::pair<std::string, bool> insertInboundMessage(soci::session& sql, const std::string& tenant_id,
                                                  const std::string& conversation_id,
                                                  const std::string& contact_id,
                                                  const nlohmann::json& event);

// The text a person wrote: text body, media caption, button or list reply title.
std::string messageText(const nlohmann::json& event);

// Order of outbound statuses: a status only moves forward (failed is terminal, kept apart).
int statusRank(const std::string& status);

}  // namespace baraza

namespace baraza {

// Moves an outbound message's status forward (queued < sent < delivered < read; failed is final
// and keeps its error). Returns false when the tenant has no outbound message with that id.
bool applyStatus(soci::session& sql, const std::string& tenant_id, const std::string& wamid,
                 const std::string& status, const nlohmann::json& event);

}  // namespace baraza
