// baraza script check|test|docs (docs/scripting.md).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "core/iso_time.h"
#include "scripting/script_api.h"
#include "scripting/script_lint.h"
#include "scripting/script_tester.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {
namespace {

std::string readScript(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + file);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<CachedKnowledge> knowledgeOf(const std::vector<KnowledgeSpec>& specs) {
  std::vector<CachedKnowledge> out;
  int n = 0;
  for (const auto& k : specs) {
    if (k.active)
      out.push_back({"entry-" + std::to_string(++n), k});
  }
  return out;
}

}  // namespace

int scriptCommand(const EngineConfig& config, const ScriptOptions& options) {
  if (options.verb == "docs") {
    std::fputs(scriptingReference().c_str(), stdout);
    return 0;
  }
  std::string source = readScript(options.file);
  std::string name = std::filesystem::path(options.file).filename().string();
  if (options.verb == "check") {
    LintReport report = lintScript(source, name, config.scripting.limits);
    if (!report.ok) {
      std::fprintf(stderr, "%s: error: %s\n", options.file.c_str(), report.error.c_str());
      return 1;
    }
    for (const auto& w : report.warnings) {
      std::printf("%s:%s warning: %s\n", options.file.c_str(),
                  w.line > 0 ? (std::to_string(w.line) + ":").c_str() : "", w.message.c_str());
    }
    std::string hooks;
    for (const auto& h : report.hooks)
      hooks += (hooks.empty() ? "" : ", ") + h;
    std::printf("%s: ok (hooks: %s; %zu warning(s))\n", options.file.c_str(),
                hooks.empty() ? "none" : hooks.c_str(), report.warnings.size());
    return 0;
  }
  // test
  ScriptTestCase test;
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  if (!options.at.empty()) {
    auto at = parseIsoUtc(options.at);
    if (!at)
      throw std::runtime_error("--at: not an ISO time: " + options.at);
    now = static_cast<long long>(*at) * 1000;
  }
  test.now_ms = now;
  test.message = {{"channel", "whatsapp"},
                  {"kind", "message"},
                  {"type", "text"},
                  {"id", "wamid.SCRIPT-TEST"},
                  {"text", options.message},
                  {"timestamp", std::to_string(now / 1000)},
                  {"from", {{"wa_id", options.from}, {"profile_name", "Script Test"}}}};
  if (!options.tenant_file.empty()) {
    TenantSpec spec = readTenantFile(options.tenant_file);
    test.tenant_slug = spec.slug;
    test.tenant_name = spec.name;
    test.settings = spec.settings;
    test.knowledge = knowledgeOf(spec.knowledge);
  } else if (!options.tenant.empty()) {
    Database db(config.database.url, 1,
                std::chrono::milliseconds(config.database.lease_timeout_ms));
    TenantDirectory directory(db);
    directory.loadAll();
    auto tenant = directory.bySlug(options.tenant);
    if (!tenant)
      throw std::runtime_error("no tenant '" + options.tenant + "' in " + config.database.url);
    test.tenant_slug = tenant->slug;
    test.tenant_name = tenant->name;
    test.settings = tenant->settings;
    test.knowledge = tenant->knowledge;
  }
  if (options.tenant_file.empty() && options.tenant.empty())
    test.tenant_slug = std::filesystem::path(options.file).stem().string();
  spdlog::set_level(spdlog::level::off);  // failures and log lines are printed below
  ScriptTestResult result = testScript(source, name, test, config.scripting);
  std::fputs(formatScriptTestResult(result).c_str(), stdout);
  return result.load_error.empty() ? 0 : 1;
}

}  // namespace baraza
