// Memory of many tenants' script states (issue 6 point 8: 10,000 tenants with scripts, each
// having received a message, in <= 256 MiB RSS). Each tenant gets its own state through the
// ScriptHost, runs on_message and route once, and is returned idle (not evicted).
// Usage: script_states_rss [TENANTS]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "scripting/memory_services.h"
#include "scripting/script_host.h"

namespace {

long rssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      return std::atol(line.c_str() + 6);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace baraza;
  int tenants = argc > 1 ? std::atoi(argv[1]) : 10000;
  long before = rssKib();
  ScriptingConfig config;
  config.max_states = tenants + 1;
  ScriptHost host(config);
  MemoryScriptServices services;
  ScriptInput in;
  in.settings = {{"strategies", "faq,static_reply"}, {"business_hours", "mon-sat 09:00-18:00"}};
  in.message = {
      {"type", "text"}, {"text", "Habari, bei ya gitaa?"}, {"from", {{"wa_id", "254711000111"}}}};
  in.contact = {{"wa_id", "254711000111"}};
  for (int i = 0; i < tenants; ++i) {
    TenantConfig tenant;
    tenant.id = "tenant-" + std::to_string(i);
    tenant.slug = "t" + std::to_string(i);
    auto script = std::make_shared<ActiveScript>();
    script->version = 1;
    // A realistic small script, different per tenant so nothing could be shared.
    script->source = "local greeting = 'Karibu " + std::to_string(i) +
                     "'\nreturn {\n  on_message = function(ctx, msg) end,\n"
                     "  route = function(ctx, msg)\n    if msg.text:find('bei') then "
                     "ctx.reply(greeting) end\n  end,\n}\n";
    tenant.script = script;
    ScriptSession session = host.open(tenant);
    session.run(Hook::kOnMessage, in, services);
    auto o = session.run(Hook::kRoute, in, services);
    if (o.failure != ScriptFailure::kNone) {
      std::fprintf(stderr, "tenant %d failed: %s\n", i, o.error.c_str());
      return 1;
    }
  }
  long after = rssKib();
  std::printf(
      "tenants %d, live states %zu, RSS before %ld KiB, after %ld KiB: %.1f MiB total, "
      "%.1f KiB per tenant\n",
      tenants, host.liveStates(), before, after, after / 1024.0,
      static_cast<double>(after - before) / tenants);
  return 0;
}
