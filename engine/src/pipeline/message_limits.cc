#include "pipeline/message_limits.h"

#include <cmath>

#include "core/metrics.h"
#include "pipeline/message_store.h"
#include "pipeline/usage_ledger.h"

namespace baraza {

using nlohmann::json;

json LimitCheck::toJson() const {
  json slots = json::array();
  for (const auto& s : reserved)
    slots.push_back({s.scope, s.period, s.name});
  json out{{"exceeded", exceeded},
           {"period", std::string(1, period)},
           {"ai_exceeded", ai_exceeded},
           {"reserved", slots}};
  if (ai_slot)
    out["ai_slot"] = {ai_slot->scope, ai_slot->period, ai_slot->name};
  return out;
}

LimitCheck LimitCheck::fromJson(const json& j) {
  LimitCheck c;
  auto slot = [](const json& s) -> std::optional<UsageSlot> {
    if (!s.is_array() || s.size() != 3 || !s[0].is_string() || !s[1].is_string() ||
        !s[2].is_string())
      return std::nullopt;
    return UsageSlot{s[0], s[1], s[2]};
  };
  if (!j.is_object())
    return c;
  c.exceeded = j.value("exceeded", "");
  std::string p = j.value("period", "h");
  c.period = p.empty() ? 'h' : p[0];
  c.ai_exceeded = j.value("ai_exceeded", "");
  if (j.contains("reserved") && j["reserved"].is_array()) {
    for (const auto& s : j["reserved"]) {
      if (auto parsed = slot(s))
        c.reserved.push_back(*parsed);
    }
  }
  if (j.contains("ai_slot"))
    c.ai_slot = slot(j["ai_slot"]);
  return c;
}

LimitCheck checkLimits(TenantScope& tx, const TenantConfig& tenant, const std::string& contact_id,
                       long long now_ms) {
  const auto& s = tenant.settings;
  LimitCheck check;
  struct Limit {
    const char* setting;
    bool per_contact;
    char period;
  };
  for (const Limit& limit :
       {Limit{"max_messages_per_user_per_day", true, 'd'},
        Limit{"max_messages_per_hour", false, 'h'}, Limit{"daily_message_quota", false, 'd'},
        Limit{"monthly_message_quota", false, 'm'}}) {
    long long value = s.value(limit.setting, 0LL);
    if (value <= 0)
      continue;
    UsageSlot slot{limit.per_contact ? contactScope(contact_id) : "tenant",
                   periodKey(limit.period, now_ms), "replies"};
    if (!takeUsage(tx, tenant.id, slot.scope, slot.period, slot.name, value)) {
      check.exceeded = limit.setting;
      check.period = limit.period;
      releaseSlots(tx, tenant.id, check.reserved);
      return check;
    }
    check.reserved.push_back(slot);
  }
  std::string day = periodKey('d', now_ms);
  long long calls = s.value("daily_ai_call_quota", 0LL), tokens = s.value("daily_token_quota", 0LL);
  if (calls > 0) {
    UsageSlot slot{"tenant", day, "ai_quota"};
    if (takeUsage(tx, tenant.id, slot.scope, slot.period, slot.name, calls))
      check.ai_slot = slot;
    else
      check.ai_exceeded = "daily_ai_call_quota";
  }
  // Tokens are known only after a call: the quota stops the calls after the one that crossed it.
  if (check.ai_exceeded.empty() && tokens > 0 &&
      usageValue(tx, tenant.id, "tenant", day, "tokens") >= tokens) {
    check.ai_exceeded = "daily_token_quota";
    if (check.ai_slot) {
      std::vector<UsageSlot> give_back{*check.ai_slot};
      releaseSlots(tx, tenant.id, give_back);
      check.ai_slot.reset();
    }
  }
  return check;
}

bool hasLimits(const json& settings) {
  for (const char* name :
       {"max_messages_per_user_per_day", "max_messages_per_hour", "daily_message_quota",
        "monthly_message_quota", "daily_ai_call_quota", "daily_token_quota"}) {
    auto it = settings.find(name);
    if (it != settings.end() && it->is_number() && it->get<long long>() > 0)
      return true;
  }
  return false;
}

std::optional<LimitCheck> storedLimitCheck(TenantScope& tx, const std::string& tenant_id,
                                           const std::string& message_id) {
  auto text = message_store::limitCheck(tx, tenant_id, message_id);
  if (!text)
    return std::nullopt;
  return LimitCheck::fromJson(json::parse(*text, nullptr, false));
}

void storeLimitCheck(TenantScope& tx, const std::string& tenant_id, const std::string& message_id,
                     const LimitCheck& check) {
  message_store::storeLimitCheck(tx, tenant_id, message_id, check.toJson().dump());
}

void releaseSlots(TenantScope& tx, const std::string& tenant_id, std::vector<UsageSlot>& slots) {
  for (const auto& s : slots)
    addUsage(tx, tenant_id, s.scope, s.period, s.name, -1);
  slots.clear();
}

void UsageTally::add(const std::string& name, long long delta) {
  if (delta != 0)
    deltas_[name] += delta;
}

void UsageTally::addAi(const Decision& decision) {
  if (!decision.ai.is_object())
    return;
  add("ai_calls");
  add("tokens",
      decision.ai.value("prompt_tokens", 0LL) + decision.ai.value("completion_tokens", 0LL));
  if (decision.ai.contains("cost_usd") && decision.ai["cost_usd"].is_number()) {
    double usd = decision.ai["cost_usd"].get<double>();
    if (usd > 0 && usd < 1000)
      add("cost_microusd", std::llround(usd * 1e6));
  }
}

void UsageTally::collect(std::map<UsageKey, long long>& into, const TenantConfig& tenant,
                         long long now_ms) const {
  std::string day = periodKey('d', now_ms);  // the fold counts it for the month too
  for (const auto& [name, delta] : deltas_)
    into[{tenant.id, "tenant", day, name}] += delta;
}

void UsageTally::publish(const TenantConfig& tenant) const {
  for (const auto& [name, delta] : deltas_) {
    if (delta > 0)
      MetricsRegistry::global().counterAdd("baraza_usage_total",
                                           {{"tenant", tenant.slug}, {"kind", name}},
                                           static_cast<double>(delta));
  }
}

}  // namespace baraza
