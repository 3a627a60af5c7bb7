#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "scripting/script_host.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// The tenant script's part in answering one message (docs/scripting.md, "When hooks run").
// Every function applies the default behaviour when its hook is absent or fails.

// The views one message's hooks see: the tenant and its settings (open now by its business
// hours, at its UTC offset), the contact from the event's `from`, the conversation.
ScriptInput scriptInputFor(const TenantConfig& tenant, const nlohmann::json& message,
                           const std::string& contact_id, nlohmann::json conversation,
                           long long now_ms);

// on_message: its reply (when the bot may answer) and escalation request.
void runOnMessage(ScriptSession& script, const ScriptInput& input, ScriptServices& services,
                  std::optional<nlohmann::json>& reply, std::optional<Escalation>& escalation);

struct RouteChoice {
  std::optional<nlohmann::json> reply;  // the script answered directly
  std::optional<std::string> chain;     // the strategies to ask instead of settings.strategies
  bool silenced = false;                // route returned false
};
RouteChoice runRoute(ScriptSession& script, const ScriptInput& input, ScriptServices& services,
                     std::optional<Escalation>& escalation);

// The faq hook's answer, when it gives one.
std::optional<nlohmann::json> runFaqHook(ScriptSession& script, const ScriptInput& input,
                                         ScriptServices& services,
                                         std::optional<Escalation>& escalation);

struct EscalationTarget {
  std::string assignee;  // "" when nobody is named
  std::string priority;
};
// The escalate hook's decision on a requested escalation: nullopt when it cancels. Its
// ctx.reply lands in `reply`.
std::optional<EscalationTarget> runEscalate(ScriptSession& script, const ScriptInput& input,
                                            ScriptServices& services, const Escalation& request,
                                            std::optional<nlohmann::json>& reply);

// before_send: false when it vetoes the reply; otherwise `reply` holds what to send.
bool runBeforeSend(ScriptSession& script, const ScriptInput& input, ScriptServices& services,
                   nlohmann::json& reply);

}  // namespace baraza
