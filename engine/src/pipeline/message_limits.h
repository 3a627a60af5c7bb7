#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/strategy_chain.h"
#include "pipeline/usage_ledger.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// One usage counter a message holds a unit of until it is answered.
struct UsageSlot {
  std::string scope, period, name;
};

// One message against the tenant's limits and quotas (docs/limits.md), inside its transaction.
struct LimitCheck {
  std::string exceeded;              // the setting that stops the bot, or ""
  char period = 'h';                 // the exceeded limit's period: h, d or m
  std::string ai_exceeded;           // daily_ai_call_quota or daily_token_quota: no AI call, or ""
  std::vector<UsageSlot> reserved;   // the contact's day and the tenant's hour, day, month
  std::optional<UsageSlot> ai_slot;  // one AI call of daily_ai_call_quota

  nlohmann::json toJson() const;
  static LimitCheck fromJson(const nlohmann::json& j);
};

// Reserves, in one fixed order, a unit of the contact's day and of every tenant-wide limit and
// quota that is set (hour, day, month), and an AI call when daily_ai_call_quota is set. A limit
// already reached stops there: `exceeded` names it and what was taken is given back. Atomic per
// counter, so processes sharing the database enforce one limit.
LimitCheck checkLimits(TenantScope& tx, const TenantConfig& tenant, const std::string& contact_id,
                       long long now_ms);

// Whether any limit or quota is set (a tenant with none skips the check and its statements).
bool hasLimits(const nlohmann::json& settings);

// The check stored on the inbound message by an earlier attempt (a retry after the first of two
// transactions committed reuses its reservation instead of taking another), or nullopt.
std::optional<LimitCheck> storedLimitCheck(TenantScope& tx, const std::string& tenant_id,
                                           const std::string& message_id);
void storeLimitCheck(TenantScope& tx, const std::string& tenant_id, const std::string& message_id,
                     const LimitCheck& check);

// Gives back slots of a message that did not use them.
void releaseSlots(TenantScope& tx, const std::string& tenant_id, std::vector<UsageSlot>& slots);

// Usage of one message (inbound, outbound, faq_answers, ai_calls, tokens, cost_microusd,
// escalations), added to its batch's usage (written at the end of the batch's transaction, in
// key order, after every release) and published to /metrics after the commit.
class UsageTally {
 public:
  void add(const std::string& name, long long delta = 1);
  void addAi(const Decision& decision);  // ai_calls, tokens and cost of an AI answer
  // The tenant's day count of each kind (the fold adds it to the month's counter too).
  void collect(std::map<UsageKey, long long>& into, const TenantConfig& tenant,
               long long now_ms) const;
  void publish(const TenantConfig& tenant) const;

 private:
  std::map<std::string, long long> deltas_;
};

}  // namespace baraza
