#pragma once

#include <optional>
#include <string>

#include "storage/database.h"

namespace baraza {

struct ConversationRow {
  std::string id;
  std::string status;             // open, escalated, closed
  std::string assigned_to;        // "" when the bot is in charge
  std::string assigned_at;        // ISO, "" when not assigned
  std::string window_expires_at;  // ISO
  bool created = false;           // opened by this message
  bool paused = false;            // an open escalation younger than the pause silences the bot
};

// The SQL of the conversations table on the message path.
namespace conversation_store {

// The contact's open conversation on this account, or a new one; its 24-hour window moved to
// `window_expires_at` and its last message time to `inbound_at` (both ISO), never backwards:
// messages may be processed out of Meta's order after retries. It also says whether an open
// escalation created at or after `paused_since` (ISO) pauses the bot there. A contact first seen
// with this message has no conversation yet, so `new_contact` skips the look.
ConversationRow touch(TenantScope& tx, const std::string& tenant_id, const std::string& contact_id,
                      const std::string& channel_account_id, const std::string& inbound_at,
                      const std::string& window_expires_at, const std::string& paused_since,
                      bool new_contact);

// touch() as statements to run with others: the look for the open conversation (read with
// touched(): nullopt when there is none), and the opening of a new one.
PreparedStatements::Call touchCall(const std::string& tenant_id, const std::string& contact_id,
                                   const std::string& channel_account_id,
                                   const std::string& inbound_at,
                                   const std::string& window_expires_at,
                                   const std::string& paused_since);
std::optional<ConversationRow> touched(const Rows& rows);
// A new conversation's row and the statement that opens it.
PreparedStatements::Call openCall(const std::string& tenant_id, const std::string& contact_id,
                                  const std::string& channel_account_id,
                                  const std::string& inbound_at,
                                  const std::string& window_expires_at, ConversationRow& opened);

// Marks the conversation escalated (an open action asks for a person).
void markEscalated(TenantScope& tx, const std::string& tenant_id,
                   const std::string& conversation_id);

}  // namespace conversation_store
}  // namespace baraza
