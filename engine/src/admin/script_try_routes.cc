// /tenants/{tenant}/script/check and /script/test: a script tried before it is stored, for the
// console's script editor. Nothing is stored and nothing is sent.
#include <ctime>

#include "admin/admin_support.h"
#include "core/iso_time.h"
#include "scripting/script_tester.h"

namespace baraza::admin {
namespace {

// The body's fields, its Lua source checked as an upload's; a 400 in `error` otherwise.
std::optional<json> readSource(const HttpRequest& req, const std::vector<std::string>& allowed,
                               std::optional<HttpResponse>& error) {
  auto body = readObject(req, allowed, error);
  if (!body)
    return std::nullopt;
  const json& s = (*body)["source"];
  if (!s.is_string()) {
    error = invalidField("source", "the script's Lua text is required");
    return std::nullopt;
  }
  if ((error = badScriptSource(s.get<std::string>())))
    return std::nullopt;
  return body;
}

SandboxLimits limitsOf(const AdminRequest& r) {
  return r.deps.scripting ? r.deps.scripting->limits : SandboxLimits{};
}

// POST .../script/check {"source"}: compiles, loads and lints it as an upload would.
HttpResponse checkScript(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readSource(r.http, {"source"}, error);
  if (!body)
    return *error;
  LintReport lint = lintScript((*body)["source"], r.tenant->slug + ".lua", limitsOf(r));
  if (!lint.ok)
    return invalidScript(lint);
  json warnings = json::array();
  for (const auto& w : lint.warnings)
    warnings.push_back({{"line", w.line > 0 ? json(w.line) : json()}, {"message", w.message}});
  return jsonReply(200, {{"ok", true}, {"hooks", lint.hooks}, {"warnings", warnings}});
}

// POST .../script/test {"source", "message", "from"}: runs the hooks on one sample message with
// the tenant's settings and FAQ as this process serves them; kv starts empty.
HttpResponse testScriptRoute(AdminRequest& r) {
  std::optional<HttpResponse> error;
  auto body = readSource(r.http, {"source", "message", "from"}, error);
  if (!body)
    return *error;
  Fields f(*body);
  std::string message = f.text("message"), from = f.text("from", "254700000000");
  if (auto bad = f.error())
    return *bad;
  if (message.empty() || message.size() > 4096)
    return invalidField("message", "a sample message of 1 to 4096 characters");
  LintReport lint = lintScript((*body)["source"], r.tenant->slug + ".lua", limitsOf(r));
  if (!lint.ok)
    return invalidScript(lint);
  ScriptTestCase test;
  test.now_ms = static_cast<long long>(std::time(nullptr)) * 1000;
  test.message = {{"channel", "whatsapp"},
                  {"kind", "message"},
                  {"type", "text"},
                  {"id", "wamid.CONSOLE-TEST"},
                  {"text", message},
                  {"timestamp", std::to_string(test.now_ms / 1000)},
                  {"from", {{"wa_id", from}, {"profile_name", "Console Test"}}}};
  test.tenant_slug = r.tenant->slug;
  test.tenant_name = r.tenant->name;
  if (auto tenant = r.deps.directory ? r.deps.directory->bySlug(r.tenant->slug) : nullptr) {
    test.settings = tenant->settings;
    test.knowledge = tenant->knowledge;
  }
  ScriptingConfig config = r.deps.scripting ? *r.deps.scripting : ScriptingConfig{};
  ScriptTestResult result = testScript((*body)["source"], r.tenant->slug + ".lua", test, config);
  return jsonReply(200, {{"route", result.route},
                         {"reply", result.reply ? *result.reply : json()},
                         {"vetoed", result.vetoed},
                         {"escalation", result.escalation ? *result.escalation : json()},
                         {"logs", result.logs},
                         {"failures", result.failures}});
}

}  // namespace

void addScriptTryRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"POST", "tenants/{tenant}/script/check", Access::kAnyCaller, checkScript});
  routes.push_back({"POST", "tenants/{tenant}/script/test", Access::kAnyCaller, testScriptRoute});
}

}  // namespace baraza::admin
