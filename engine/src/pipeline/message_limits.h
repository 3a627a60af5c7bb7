#pragma once

#include <string>
#include <utility>
#include <vector>

#include "pipeline/strategy_chain.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// One message against the tenant's limits and quotas (docs/limits.md), inside its transaction.
struct LimitCheck {
  std::string exceeded;     // the setting that stops the bot, or ""
  char period = 'h';        // the exceeded limit's period: h, d or m
  std::string ai_exceeded;  // daily_ai_call_quota or daily_token_quota: no AI call, or ""
  std::vector<std::pair<std::string, std::string>> reserved;  // (period, name) slots taken
};

// Counts the contact's message for the day and reserves a reply slot in every tenant-wide
// limit and quota (hour, day, month). A limit already reached stops there: `exceeded` names it
// and the slots taken so far are given back.
LimitCheck checkLimits(soci::session& sql, const TenantConfig& tenant,
                       const std::string& contact_id, long long now_ms);

// Gives back the reply slots of a message that was not answered after all.
void releaseLimits(soci::session& sql, const std::string& tenant_id, LimitCheck& check);

// Adds `delta` to the tenant's usage counter `name` for the day and the month of `now_ms`, and
// to baraza_usage_total{tenant,name} in /metrics.
void countUsage(soci::session& sql, const TenantConfig& tenant, const std::string& name,
                long long now_ms, long long delta = 1);

// The usage of one reply: outbound, faq_answers, ai_calls, tokens, cost_microusd.
void countReplyUsage(soci::session& sql, const TenantConfig& tenant, const Decision& decision,
                     long long now_ms);

}  // namespace baraza
