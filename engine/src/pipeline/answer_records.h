#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/outbox_store.h"
#include "pipeline/strategy_chain.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// What an escalation tells the tenant's staff (docs/answers.md).
struct EscalationNotice {
  std::string action_id, channel_account_id;
  std::string phone;    // the escalation phone or the assignee, as written
  std::string contact;  // who wrote: "Name (number)"
  std::string reason, customer_text;
};

// Tells the tenant's escalation phone over WhatsApp: a text inside that number's 24-hour
// window, else settings.escalation_template (body parameters: contact, reason), else nothing
// (logged and counted). The send is returned to be queued with the message's other sends;
// `how` is set to what happened: "text", "template", "no_phone", "outside_window".
std::optional<OutboxEntry> escalationNotice(TenantScope& tx, const TenantConfig& tenant,
                                            const EscalationNotice& notice,
                                            const std::string& now_iso, const std::string& stamp,
                                            std::string& how);

// The outbound message's record of what produced it.
struct AnswerColumns {
  std::optional<double> knowledge_score;
  std::string ai_provider;
  std::optional<long long> ai_latency_ms, ai_prompt_tokens, ai_completion_tokens;
  bool fallback = false;
};
AnswerColumns answerColumns(const Decision& decision);

}  // namespace baraza
