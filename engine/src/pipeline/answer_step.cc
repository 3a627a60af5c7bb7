// Limits, the script's route hook and the strategy chain: what answers a message.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "pipeline/message_steps.h"
#include "pipeline/strategy_input.h"
#include "pipeline/usage_ledger.h"

namespace baraza {
namespace {

using nlohmann::json;

void limitExceeded(MessageWork& w, TenantScope& tx) {
  const TenantConfig& tenant = *w.tenant;
  auto& metrics = MetricsRegistry::global();
  w.silence = Silence::kLimitExceeded;
  metrics.counterAdd("baraza_limits_exceeded_total",
                     {{"tenant", tenant.slug}, {"limit", w.limits.exceeded}});
  std::string period = periodKey(w.limits.period, w.started_ms);
  std::string reply = tenant.settings.value("limit_reply", std::string());
  if (!reply.empty() && takeUsage(tx, tenant.id, contactScope(w.contact_id), period,
                                  "limit_reply:" + w.limits.exceeded, 1)) {
    w.decision = Decision{"limits", json{{"kind", "text"}, {"text", reply}}};
    w.decision->fallback = true;
    w.limit_reply_period = period;
  }
  bool per_contact = w.limits.exceeded == "max_messages_per_user_per_day";
  if (!w.escalation && takeUsage(tx, tenant.id, per_contact ? contactScope(w.contact_id) : "tenant",
                                 period, "limit_escalation:" + w.limits.exceeded, 1)) {
    w.escalation = Escalation{"message limit exceeded (" + w.limits.exceeded + ")", "medium"};
    w.escalation_source = "limit";
    w.escalation_pauses_conversation = per_contact;
  }
}

void takeDecision(MessageWork& w) {
  ChainResult& result = w.chain->result();
  w.decision = std::move(result.decision);
  auto asked = w.decision && w.decision->escalate ? w.decision->escalate : result.escalate;
  if (asked && !w.escalation) {
    w.escalation = Escalation{asked->reason, asked->priority};
    w.escalation_source = asked->source;
  }
  if (!w.decision)
    w.silence = Silence::kNoStrategyAnswered;
}

}  // namespace

void checkLimits(MessageWork& w, TenantScope& tx, StepParts&) {
  const TenantConfig& tenant = *w.tenant;
  if (w.silence != Silence::kNone || !hasLimits(tenant.settings))
    return;  // a tenant without limits or quotas has nothing to count or to look up
  if (auto stored = storedLimitCheck(tx, tenant.id, w.message_id)) {
    w.limits = *stored;  // a retry: the first attempt's reservation, not another one
  } else {
    w.limits = checkLimits(tx, tenant, w.contact_id, w.started_ms);
    if (!w.limits.reserved.empty() || w.limits.ai_slot || !w.limits.exceeded.empty())
      storeLimitCheck(tx, tenant.id, w.message_id, w.limits);  // for a retry to reuse
  }
  if (!w.limits.ai_exceeded.empty()) {
    MetricsRegistry::global().counterAdd(
        "baraza_limits_exceeded_total", {{"tenant", tenant.slug}, {"limit", w.limits.ai_exceeded}});
  }
  if (!w.limits.exceeded.empty())
    limitExceeded(w, tx);
}

void decideAnswer(MessageWork& w, TenantScope& tx, StepParts& parts) {
  if (w.silence != Silence::kNone)
    return;
  std::string chain = w.tenant->settings.value("strategies", std::string());
  if (w.script && !w.script_reply) {
    RouteChoice choice = runRoute(w.script, w.script_input, *w.services, w.escalation);
    w.script_reply = choice.reply;
    if (choice.chain)
      chain = *choice.chain;
    if (choice.silenced)
      w.silence = Silence::kScriptSilenced;
  }
  if (w.script_reply) {
    w.decision = Decision{"script", *w.script_reply};
    return;
  }
  if (w.silence != Silence::kNone)
    return;
  StrategyStep faq_hook;
  if (w.script.defines(Hook::kFaq)) {
    faq_hook = [&w](const std::string& name) -> std::optional<Decision> {
      if (name != "faq")
        return std::nullopt;
      auto reply = runFaqHook(w.script, w.script_input, *w.services, w.escalation);
      if (!reply)
        return std::nullopt;
      return Decision{"faq", *reply};
    };
  }
  w.chain.emplace(parts.plugins, chain,
                  strategyInput(w, tx, parts.tenant_inputs, chainReads(parts.plugins, chain)),
                  std::move(faq_hook));
  w.waits = w.chain->run(false);
  if (!w.waits)
    takeDecision(w);
}

void waitForAnswer(MessageWork& w) {
  MetricsRegistry::global().counterAdd("baraza_strategy_waits_total", {});
  w.chain->runNext();
}

void continueDecision(MessageWork& w, TenantScope& tx) {
  if (w.services)
    w.services->rebind(tx.sql());
  w.waits = w.chain->run(false);
  if (!w.waits)
    takeDecision(w);
}

}  // namespace baraza
