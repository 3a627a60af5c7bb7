#include "scripting/script_tester.h"

#include <chrono>

#include "pipeline/message_script.h"
#include "scripting/script_host.h"

namespace baraza {

using nlohmann::json;

ScriptTestResult testScript(const std::string& source, const std::string& name,
                            const ScriptTestCase& test, const ScriptingConfig& config) {
  ScriptTestResult result;
  {
    auto probe = TenantScript::load(source, name, config.limits, result.load_error);
    if (!probe)
      return result;
  }
  TenantConfig tenant;
  tenant.id = "00000000-0000-4000-8000-000000000000";
  tenant.slug = test.tenant_slug;
  tenant.name = test.tenant_name;
  tenant.settings = test.settings;
  tenant.knowledge = test.knowledge;
  auto active = std::make_shared<ActiveScript>();
  active->version = 1;
  active->source = source;
  tenant.script = active;

  ScriptHost host(config);
  MemoryScriptServices services;
  services.knowledge = test.knowledge;
  services.recent = test.recent;
  services.kv = test.kv;
  services.delay = std::chrono::milliseconds(test.kv_delay_ms);
  long long now = test.now_ms > 0 ? test.now_ms
                                  : std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
  const json& s = test.settings;
  ScriptInput input = scriptInputFor(tenant, test.message, "contact-1",
                                     {{"id", "conversation-1"}, {"status", "open"}}, now);

  std::optional<Escalation> escalation;
  std::optional<json> reply;
  {
    ScriptSession script = host.open(tenant);
    runOnMessage(script, input, services, reply, escalation);
    std::string chain = s.value("strategies", std::string("faq,ai_chain,static_reply"));
    if (reply) {
      result.route = "script";
    } else {
      RouteChoice choice = runRoute(script, input, services, escalation);
      if (choice.reply) {
        reply = choice.reply;
        result.route = "script";
      } else if (choice.silenced) {
        result.route = "silenced";
      } else {
        result.route = choice.chain ? *choice.chain : chain;
        if (("," + result.route + ",").find(",faq,") != std::string::npos)
          reply = runFaqHook(script, input, services, escalation);
      }
    }
    if (escalation) {
      std::optional<json> told;
      if (auto target = runEscalate(script, input, services, *escalation, told)) {
        result.escalation = {{"reason", escalation->reason},
                             {"priority", target->priority},
                             {"to", target->assignee}};
      }
      if (told && !reply && result.route != "silenced")
        reply = told;
    }
    if (reply && !runBeforeSend(script, input, services, *reply)) {
      reply.reset();
      result.vetoed = true;
    }
    result.logs = script.logLines();
    result.failures = script.failures();
  }
  result.reply = reply;
  result.kv = services.kv;
  return result;
}

std::string formatScriptTestResult(const ScriptTestResult& r) {
  if (!r.load_error.empty())
    return "error: " + r.load_error + "\n";
  std::string out = "route: " + r.route + "\n";
  out += "reply: " + (r.reply ? r.reply->dump() : std::string(r.vetoed ? "vetoed" : "none")) + "\n";
  out += "escalation: " + (r.escalation ? r.escalation->dump() : std::string("none")) + "\n";
  for (const auto& line : r.logs)
    out += "log: " + line + "\n";
  for (const auto& failure : r.failures)
    out += "failure: " + failure + "\n";
  return out;
}

}  // namespace baraza
