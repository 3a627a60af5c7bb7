#include "pipeline/message_script.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "tenancy/local_time.h"

namespace baraza {

using nlohmann::json;

ScriptInput scriptInputFor(const TenantConfig& tenant, const json& message,
                           const std::string& contact_id, json conversation, long long now_ms) {
  const json& s = tenant.settings;
  auto text = [](const json& obj, const char* key) {
    return obj.is_object() && obj.contains(key) && obj[key].is_string()
               ? obj[key].get<std::string>()
               : std::string();
  };
  const json from = message.contains("from") ? message["from"] : json::object();
  ScriptInput in;
  in.tenant = {{"slug", tenant.slug}, {"name", tenant.name}};
  in.settings = s;
  in.contact = {{"id", contact_id},
                {"wa_id", text(from, "wa_id")},
                {"name", text(from, "profile_name")},
                {"user_id", text(from, "user_id")}};
  in.conversation = std::move(conversation);
  in.message = message;
  in.now_ms = now_ms;
  in.utc_offset_minutes = tenantUtcOffsetMinutes(s, static_cast<std::time_t>(now_ms / 1000));
  in.time_zone = tenantTimeZone(s);
  in.open_now = tenantOpenAt(s, static_cast<std::time_t>(now_ms / 1000));
  return in;
}

void runOnMessage(ScriptSession& script, const ScriptInput& input, ScriptServices& services,
                  std::optional<json>& reply, std::optional<Escalation>& escalation) {
  HookOutcome o = script.run(Hook::kOnMessage, input, services);
  if (!o.ran || o.failure != ScriptFailure::kNone)
    return;
  if (o.effects.reply)
    reply = o.effects.reply;
  if (o.effects.escalation)
    escalation = o.effects.escalation;
}

RouteChoice runRoute(ScriptSession& script, const ScriptInput& input, ScriptServices& services,
                     std::optional<Escalation>& escalation) {
  RouteChoice choice;
  HookOutcome o = script.run(Hook::kRoute, input, services);
  if (!o.ran || o.failure != ScriptFailure::kNone)
    return choice;
  if (o.effects.escalation)
    escalation = o.effects.escalation;
  if (o.effects.reply) {
    choice.reply = o.effects.reply;
    return choice;
  }
  const json& r = o.result;
  if (r.is_boolean() && !r.get<bool>()) {
    choice.silenced = true;
  } else if (r.is_string()) {
    choice.chain = r.get<std::string>();
  } else if (r.is_array()) {
    std::string chain;
    for (const auto& name : r) {
      if (name.is_string())
        chain += (chain.empty() ? "" : ",") + name.get<std::string>();
    }
    choice.chain = chain;
  } else if (!r.is_null()) {
    spdlog::warn("script {}: route returned {}, not a chain, false or nil; ignored",
                 input.tenant.value("slug", ""), r.type_name());
  }
  return choice;
}

std::optional<json> runFaqHook(ScriptSession& script, const ScriptInput& input,
                               ScriptServices& services, std::optional<Escalation>& escalation) {
  HookOutcome o = script.run(Hook::kFaq, input, services);
  if (!o.ran || o.failure != ScriptFailure::kNone)
    return std::nullopt;
  if (o.effects.escalation)
    escalation = o.effects.escalation;
  if (o.effects.reply)
    return o.effects.reply;
  if (o.result.is_null())
    return std::nullopt;
  json reply;
  std::string error;
  if (!replyFromJson(o.result, reply, error)) {
    spdlog::warn("script {}: faq returned an unusable reply ({}); ignored",
                 input.tenant.value("slug", ""), error);
    return std::nullopt;
  }
  return reply;
}

std::optional<EscalationTarget> runEscalate(ScriptSession& script, const ScriptInput& input,
                                            ScriptServices& services, const Escalation& request,
                                            std::optional<json>& reply) {
  EscalationTarget target{input.settings.value("escalation_phone", std::string()),
                          request.priority};
  json reason = request.reason;
  HookOutcome o = script.run(Hook::kEscalate, input, services, &reason);
  if (!o.ran || o.failure != ScriptFailure::kNone)
    return target;
  if (o.effects.reply)
    reply = o.effects.reply;
  const json& r = o.result;
  if (r.is_boolean() && !r.get<bool>())
    return std::nullopt;
  if (r.is_object()) {
    if (r.contains("to") && r["to"].is_string())
      target.assignee = r["to"];
    else if (r.contains("to"))
      target.assignee.clear();
    std::string p = r.value("priority", std::string());
    if (p == "low" || p == "medium" || p == "high" || p == "urgent")
      target.priority = p;
  }
  return target;
}

bool runBeforeSend(ScriptSession& script, const ScriptInput& input, ScriptServices& services,
                   json& reply) {
  HookOutcome o = script.run(Hook::kBeforeSend, input, services, &reply);
  if (!o.ran || o.failure != ScriptFailure::kNone || o.result.is_null())
    return true;
  if (o.result.is_boolean())
    return o.result.get<bool>();
  json edited;
  std::string error;
  if (!replyFromJson(o.result, edited, error)) {
    spdlog::warn("script {}: before_send returned an unusable reply ({}); the original is sent",
                 input.tenant.value("slug", ""), error);
    return true;
  }
  reply = std::move(edited);
  return true;
}

}  // namespace baraza
