// The last step of a message: its escalation, the script's veto, what it gives back of its
// limits, and the reply rows the batch writes.
#include "core/iso_time.h"
#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/answer_records.h"
#include "pipeline/escalation_store.h"
#include "pipeline/message_steps.h"
#include "pipeline/usage_ledger.h"

namespace baraza {
namespace {

using nlohmann::json;

bool isPhoneNumber(const std::string& s) {
  return !s.empty() && s.find_first_not_of("+0123456789 -()") == std::string::npos;
}

void escalate(MessageWork& w, TenantScope& tx, StepParts& parts) {
  const TenantConfig& tenant = *w.tenant;
  std::string staff_phone = tenant.settings.value("escalation_phone", std::string());
  std::optional<json> told;
  std::optional<EscalationTarget> target = EscalationTarget{staff_phone, w.escalation->priority};
  if (w.script)
    target = runEscalate(w.script, w.script_input, *w.services, *w.escalation, told);
  if (target) {
    std::string stamp = parts.clock.stamp();
    std::string action_id = escalation_store::record(
        tx,
        {tenant.id, w.escalation_pauses_conversation ? w.conversation.id : "", w.contact_id,
         w.message_id, w.escalation->reason, target->priority, target->assignee,
         w.escalation_source},
        stamp);
    MetricsRegistry::global().counterAdd("baraza_escalations_total",
                                         {{"source", w.escalation_source}});
    w.usage.add("escalations");
    // The assignee when it is a phone number, else the tenant's escalation phone.
    std::string phone = isPhoneNumber(target->assignee) ? target->assignee : staff_phone;
    const Sender& from = w.event.from;
    std::string who =
        from.profile_name.empty() ? from.wa_id : from.profile_name + " (" + from.wa_id + ")";
    std::string how;
    auto notice = escalationNotice(
        tx, tenant,
        {action_id, w.account->id, phone, who, w.escalation->reason,
         jsonText(w.messageTree(), "text")},
        formatIsoUtc(static_cast<std::time_t>(parts.clock.nowMs() / 1000)), stamp, how);
    if (notice)
      w.sends.push_back(std::move(*notice));
  }
  if (told && !w.decision &&
      (w.silence == Silence::kNone || w.silence == Silence::kNoStrategyAnswered)) {
    w.decision = Decision{"script", *told};
    w.silence = Silence::kNone;
  }
}

// Only answered messages use up a limit, and only an AI answer an AI call; a vetoed limit reply
// leaves the contact's once-per-period reply unused. Releases come before the batch's usage
// counters: every transaction locks counters in that one order.
void giveBackLimits(MessageWork& w, TenantScope& tx) {
  const std::string& tenant_id = w.tenant->id;
  if (!w.decision) {
    releaseSlots(tx, tenant_id, w.limits.reserved);
    if (!w.limit_reply_period.empty()) {
      addUsage(tx, tenant_id, contactScope(w.contact_id), w.limit_reply_period,
               "limit_reply:" + w.limits.exceeded, -1);
    }
  }
  if (w.limits.ai_slot && !(w.decision && w.decision->ai.is_object())) {
    std::vector<UsageSlot> unused{*w.limits.ai_slot};
    releaseSlots(tx, tenant_id, unused);
  }
}

void buildReply(MessageWork& w, StepParts& parts) {
  const Decision& d = *w.decision;
  json request = d.reply;
  request["to"] = w.event.from.wa_id;
  request["reply_to"] = w.event.id;
  OutboundMessage m;
  m.tenant_id = w.tenant->id;
  m.id = newUuid();
  m.conversation_id = w.conversation.id;
  m.contact_id = w.contact_id;
  m.in_reply_to = w.message_id;
  m.message_type = jsonText(request, "kind");
  if (m.message_type.empty())
    m.message_type = "text";
  m.body = jsonText(request, "text");
  if (m.body.empty())
    m.body = jsonText(request, "body");
  m.request = request;
  m.strategy = d.strategy;
  m.ai_model = d.ai_model;
  m.knowledge_entry_id = d.knowledge_entry_id;
  AnswerColumns a = answerColumns(d);
  m.knowledge_score = a.knowledge_score;
  m.ai_provider = a.ai_provider;
  m.ai_latency_ms = a.ai_latency_ms;
  m.ai_prompt_tokens = a.ai_prompt_tokens;
  m.ai_completion_tokens = a.ai_completion_tokens;
  m.fallback = a.fallback;
  m.processing_ms = parts.clock.nowMs() - w.started_ms;
  m.stamp = parts.clock.stamp();
  w.sends.push_back({m.tenant_id, newUuid(), m.id, m.in_reply_to, w.account->id, w.event.from.wa_id,
                     request.dump(-1, ' ', false, json::error_handler_t::replace)});
  w.replies.push_back(std::move(m));
}

}  // namespace

void concludeMessage(MessageWork& w, TenantScope& tx, StepParts& parts) {
  if (w.escalation)  // asked for before a later hook failed: still recorded, by the defaults
    escalate(w, tx, parts);
  if (w.decision)
    w.usage.addAi(*w.decision);  // a model's answer is paid for even if the script vetoes it
  if (w.decision && w.script.defines(Hook::kBeforeSend) &&
      !runBeforeSend(w.script, w.script_input, *w.services, w.decision->reply)) {
    w.decision.reset();
    w.silence = Silence::kVetoedByScript;
  }
  giveBackLimits(w, tx);
  if ((w.decision && w.decision->fallback) || w.silence == Silence::kNoStrategyAnswered)
    w.unanswered = true;
  if (w.decision) {
    buildReply(w, parts);
  } else {
    MetricsRegistry::global().counterAdd("baraza_messages_unanswered_total",
                                         {{"reason", silenceName(w.silence)}});
  }
}

}  // namespace baraza
