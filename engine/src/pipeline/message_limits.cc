#include "pipeline/message_limits.h"

#include <cmath>

#include "core/metrics.h"
#include "pipeline/usage_ledger.h"

namespace baraza {

LimitCheck checkLimits(soci::session& sql, const TenantConfig& tenant,
                       const std::string& contact_id, long long now_ms) {
  const auto& s = tenant.settings;
  LimitCheck check;
  std::string day = periodKey('d', now_ms);
  if (!takeUsage(sql, tenant.id, contactScope(contact_id), day, "inbound",
                 s.value("max_messages_per_user_per_day", 0LL))) {
    check.exceeded = "max_messages_per_user_per_day";
    check.period = 'd';
    return check;
  }
  struct Slot {
    const char* setting;
    char period;
    const char* name;
  };
  for (const Slot& slot :
       {Slot{"max_messages_per_hour", 'h', "replies"}, Slot{"daily_message_quota", 'd', "replies"},
        Slot{"monthly_message_quota", 'm', "replies"}}) {
    long long limit = s.value(slot.setting, 0LL);
    if (limit <= 0)
      continue;
    std::string period = periodKey(slot.period, now_ms);
    if (!takeUsage(sql, tenant.id, "tenant", period, slot.name, limit)) {
      check.exceeded = slot.setting;
      check.period = slot.period;
      releaseLimits(sql, tenant.id, check);
      return check;
    }
    check.reserved.emplace_back(period, slot.name);
  }
  long long calls = s.value("daily_ai_call_quota", 0LL), tokens = s.value("daily_token_quota", 0LL);
  if (calls > 0 && usageValue(sql, tenant.id, "tenant", day, "ai_calls") >= calls)
    check.ai_exceeded = "daily_ai_call_quota";
  else if (tokens > 0 && usageValue(sql, tenant.id, "tenant", day, "tokens") >= tokens)
    check.ai_exceeded = "daily_token_quota";
  return check;
}

void releaseLimits(soci::session& sql, const std::string& tenant_id, LimitCheck& check) {
  for (const auto& [period, name] : check.reserved)
    addUsage(sql, tenant_id, "tenant", period, name, -1);
  check.reserved.clear();
}

void countUsage(soci::session& sql, const TenantConfig& tenant, const std::string& name,
                long long now_ms, long long delta) {
  if (delta == 0)
    return;
  addUsage(sql, tenant.id, "tenant", periodKey('d', now_ms), name, delta);
  addUsage(sql, tenant.id, "tenant", periodKey('m', now_ms), name, delta);
  MetricsRegistry::global().counterAdd(
      "baraza_usage_total", {{"tenant", tenant.slug}, {"kind", name}}, static_cast<double>(delta));
}

void countReplyUsage(soci::session& sql, const TenantConfig& tenant, const Decision& decision,
                     long long now_ms) {
  countUsage(sql, tenant, "outbound", now_ms);
  if (decision.strategy == "faq")
    countUsage(sql, tenant, "faq_answers", now_ms);
  if (decision.ai.is_object()) {
    countUsage(sql, tenant, "ai_calls", now_ms);
    long long tokens =
        decision.ai.value("prompt_tokens", 0LL) + decision.ai.value("completion_tokens", 0LL);
    countUsage(sql, tenant, "tokens", now_ms, tokens);
    if (decision.ai.contains("cost_usd") && decision.ai["cost_usd"].is_number()) {
      double usd = decision.ai["cost_usd"].get<double>();
      if (usd > 0 && usd < 1000)
        countUsage(sql, tenant, "cost_microusd", now_ms, std::llround(usd * 1e6));
    }
  }
}

}  // namespace baraza
