#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/database.h"

namespace baraza {

// One inbound message of an organization's agent (tenant), as the lead tables see it.
struct LeadContact {
  std::string organization_id, tenant_id, contact_id, conversation_id, message_id;
  bool new_conversation = false;  // the message opened a conversation
  std::string occurred_at;        // ISO, the message's own time
  nlohmann::json event;           // the normalized inbound event (from, referral)
};

struct LeadOutcome {
  std::string lead_id;  // "" when the sender has neither a phone nor a business-scoped id
  std::string touch;    // the touch recorded: first_contact, new_agent, new_conversation,
                        // referral, or "" for a plain message
  bool identity_conflict = false;  // the phone and the user id belong to two different leads
};

// Finds or creates the organization's lead for the message's sender (phone first, else the
// business-scoped user id), links the agent's contact to it, counts the message and records a
// touch when the message is one. First-touch attribution goes to the earliest message even when
// messages are processed out of order; last-touch to the latest touch. Runs inside the agent's
// transaction (TenantScope of the tenant: the row-level policy lets it reach its organization's
// leads).
LeadOutcome recordLeadContact(soci::session& sql, Dialect dialect, const LeadContact& contact);

}  // namespace baraza
