// Whether the bot answers a message at all, and the tenant script's first hook.
#include "core/iso_time.h"
#include "pipeline/escalation_store.h"
#include "pipeline/message_steps.h"

namespace baraza {

namespace {

Silence settingsSilence(const MessageWork& w) {
  const TenantConfig& tenant = *w.tenant;
  const nlohmann::json& s = tenant.settings;
  if (!tenant.active)
    return Silence::kTenantInactive;
  if (!s.value("bot_enabled", true))
    return Silence::kBotDisabled;
  if (!s.value("auto_reply", true))
    return Silence::kAutoReplyOff;
  if (!w.conversation.assigned_to.empty()) {
    auto since = parseIsoUtc(w.conversation.assigned_at);
    long long minutes = s.value("human_takeover_minutes", 60LL);
    bool expired = since && minutes > 0 && (w.started_ms / 1000 - *since) > minutes * 60;
    if (!expired)
      return Silence::kHumanTakeover;
  }
  return Silence::kNone;
}

// Debounce (seed 003): a contact's quick messages get one answer. The event waits until
// debounce_seconds after it arrived; by then, if the contact wrote again, the later message
// answers for all (this one is silent), else this one answers with every message since the
// conversation's last reply.
void debounce(MessageWork& w, TenantScope& tx, long long debounce_ms) {
  long long due = w.event.received_ms + debounce_ms;
  if (w.started_ms < due) {
    w.postponed_until = due;
    return;
  }
  if (InboxStore::laterEvents(tx, w.event.order_key, w.event.inbox_id) > 0) {
    w.silence = Silence::kDebounced;
    return;
  }
  std::string combined = message_store::textSinceLastReply(tx, w.tenant->id, w.conversation.id);
  if (!combined.empty()) {
    w.message = w.event.tree();
    w.message["text"] = combined;  // what the contact wrote since the last reply
    w.message["combined"] = true;
  }
}

}  // namespace

void gateMessage(MessageWork& w, TenantScope& tx, StepParts&) {
  const nlohmann::json& s = w.tenant->settings;
  w.message = nullptr;
  w.silence = settingsSilence(w);
  if (w.silence == Silence::kNone && w.conversation.paused)
    w.silence = Silence::kEscalated;  // a person has it until the action is resolved
  long long debounce_ms = s.value("debounce_seconds", 0LL) * 1000;
  if (w.silence == Silence::kNone && debounce_ms > 0)
    debounce(w, tx, debounce_ms);
}

void runMessageHooks(MessageWork& w, TenantScope& tx, StepParts& parts) {
  const TenantConfig& tenant = *w.tenant;
  if (!tenant.active)
    return;
  w.script = parts.scripts.open(tenant);
  if (!w.script)
    return;
  w.services.emplace(tx.sql(), tx.dialect(), tenant, w.conversation.id, w.started_ms);
  w.script_input = scriptInputFor(tenant, w.messageTree(), w.contact_id,
                                  {{"id", w.conversation.id},
                                   {"status", w.conversation.status},
                                   {"window_expires_at", w.conversation.window_expires_at},
                                   {"assigned_to", w.conversation.assigned_to}},
                                  w.started_ms);
  runOnMessage(w.script, w.script_input, *w.services, w.script_reply, w.escalation);
}

}  // namespace baraza
