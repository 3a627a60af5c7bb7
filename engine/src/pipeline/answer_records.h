#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/strategy_chain.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// What the answer strategies read of a conversation, and what an escalation writes
// (docs/answers.md).

// True while the conversation has an open escalation younger than `pause_minutes` (0: any
// open one): the bot stays silent until a person resolves it.
bool escalationPauses(soci::session& sql, Dialect dialect, const std::string& tenant_id,
                      const std::string& conversation_id, long long pause_minutes,
                      long long now_ms);

// How many of the conversation's inbound messages before `current_id`, in a row, went through
// the strategies and got no answer or only a fallback text (messages.unanswered); messages the
// bot chose not to answer are skipped, a real reply ends the run. Counts at most `cap`.
int unansweredStreak(soci::session& sql, const std::string& tenant_id,
                     const std::string& conversation_id, const std::string& current_id, int cap);

// Tells the tenant's escalation phone over WhatsApp: a text inside that number's 24-hour
// window, else settings.escalation_template (body parameters: contact, reason), else nothing
// (logged and counted). Queued in the outbox like any send; returns what happened: "text",
// "template", "no_phone", "outside_window".
std::string notifyEscalation(soci::session& sql, Dialect dialect, const TenantConfig& tenant,
                             const std::string& channel_account_id, const std::string& action_id,
                             const std::string& phone, const std::string& contact,
                             const std::string& reason, const std::string& customer_text,
                             long long now_ms);

// The outbound message's record of what produced it.
struct AnswerColumns {
  std::optional<double> knowledge_score;
  std::string ai_provider;
  std::optional<long long> ai_latency_ms, ai_prompt_tokens, ai_completion_tokens;
  bool fallback = false;
};
AnswerColumns answerColumns(const Decision& decision);

}  // namespace baraza
