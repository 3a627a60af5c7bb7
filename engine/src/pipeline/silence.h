#pragma once

namespace baraza {

// Why the bot did not answer a message (baraza_messages_unanswered_total{reason}).
enum class Silence {
  kNone,                // it answers
  kTenantInactive,      // the tenant is switched off
  kBotDisabled,         // settings.bot_enabled is false
  kAutoReplyOff,        // settings.auto_reply is false
  kHumanTakeover,       // a person has the conversation (assigned, not yet expired)
  kEscalated,           // an open escalation pauses the bot
  kDebounced,           // the contact wrote again: a later message answers for both
  kLimitExceeded,       // a message limit or quota is reached
  kScriptSilenced,      // the tenant script's route hook returned false
  kNoStrategyAnswered,  // every strategy passed or failed
  kVetoedByScript,      // before_send returned false
};

// The metric label of a reason: "tenant_inactive", "bot_disabled", ...
inline const char* silenceName(Silence s) {
  switch (s) {
    case Silence::kNone:
      return "";
    case Silence::kTenantInactive:
      return "tenant_inactive";
    case Silence::kBotDisabled:
      return "bot_disabled";
    case Silence::kAutoReplyOff:
      return "auto_reply_off";
    case Silence::kHumanTakeover:
      return "human_takeover";
    case Silence::kEscalated:
      return "escalated";
    case Silence::kDebounced:
      return "debounced";
    case Silence::kLimitExceeded:
      return "limit_exceeded";
    case Silence::kScriptSilenced:
      return "script_silenced";
    case Silence::kNoStrategyAnswered:
      return "no_strategy_answered";
    case Silence::kVetoedByScript:
      return "vetoed_by_script";
  }
  return "unknown";
}

}  // namespace baraza
