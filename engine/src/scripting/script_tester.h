#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scripting/memory_services.h"
#include "scripting/scripting_config.h"

namespace baraza {

// One simulated message for `baraza script test` and tests/scripts/.
struct ScriptTestCase {
  nlohmann::json message;  // normalized event; {"type":"text","text":...} at least
  nlohmann::json settings = nlohmann::json::object();
  std::string tenant_slug = "test", tenant_name = "Test";
  long long now_ms = 0;  // 0: now
  std::vector<CachedKnowledge> knowledge;
  nlohmann::json recent = nlohmann::json::array();  // the conversation's earlier messages
  std::map<std::string, std::string> kv;            // JSON text values
  int kv_delay_ms = 0;  // each kv call takes this long, as a slow database would
};

// What the script made of it, in the pipeline's order of hooks.
struct ScriptTestResult {
  std::string load_error;               // the script did not load
  std::string route;                    // "faq,static_reply", "script" (it replied), "silenced"
  std::optional<nlohmann::json> reply;  // after before_send; nullopt: no reply from the script
  bool vetoed = false;                  // before_send refused the reply
  std::optional<nlohmann::json> escalation;  // {reason, priority, to}
  std::vector<std::string> logs;             // "hook level: text"
  std::vector<std::string> failures;         // "hook kind: error"
  std::map<std::string, std::string> kv;     // after the message
};

ScriptTestResult testScript(const std::string& source, const std::string& name,
                            const ScriptTestCase& test, const ScriptingConfig& config);

// The result as the CLI prints it (and tests compare).
std::string formatScriptTestResult(const ScriptTestResult& result);

}  // namespace baraza
