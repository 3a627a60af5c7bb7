// Tenant script hooks per message (issue 6 point 8: a trivial route hook, ctx included, <= 10 us).
// Compare within one run: BM_BareLuaCall is the floor a hook cannot go under.
#include <benchmark/benchmark.h>

#include "scripting/memory_services.h"
#include "scripting/script_host.h"
#include "scripting/tenant_script.h"

namespace baraza {
namespace {

ScriptInput realisticInput() {
  ScriptInput in;
  in.tenant = {{"slug", "kassangas"}, {"name", "Kassangas Music Shop"}};
  in.settings = {{"bot_enabled", true},
                 {"auto_reply", true},
                 {"strategies", "faq,ai_chain,static_reply"},
                 {"static_reply", "Asante! We will reply soon."},
                 {"escalation_phone", "254700000001"},
                 {"business_hours", "mon-sat 09:00-18:00"},
                 {"utc_offset_minutes", 180},
                 {"max_messages_per_hour", 100},
                 {"debounce_seconds", 0}};
  in.contact = {{"id", "c-1"}, {"wa_id", "254711000111"}, {"name", "Wanjiku"}};
  in.conversation = {{"id", "cv-1"}, {"status", "open"}};
  in.message = {{"channel", "whatsapp"},
                {"kind", "message"},
                {"type", "text"},
                {"id", "wamid.HBgMMjU0NzExMDAwMTExFQIAEhggQjI"},
                {"text", "Habari, bei ya gitaa ni ngapi?"},
                {"timestamp", "1795000000"},
                {"from", {{"wa_id", "254711000111"}, {"profile_name", "Wanjiku"}}},
                {"account", {{"phone_number_id", "119202345678901"}}}};
  in.now_ms = 1795000000000;
  return in;
}

std::unique_ptr<TenantScript> load(const std::string& source) {
  std::string error;
  auto script = TenantScript::load(source, "bench.lua", SandboxLimits{}, error);
  if (!script)
    throw std::runtime_error(error);
  return script;
}

void BM_BareLuaCall(benchmark::State& state) {
  auto script = load("return { route = function(ctx, msg) return 'faq' end }");
  lua_State* L = script->sandbox().state();
  luaL_loadstring(L, "return 'faq'");
  int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  for (auto _ : state) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pcall(L, 0, 1, 0);
    lua_pop(L, 1);
  }
}
BENCHMARK(BM_BareLuaCall);

void BM_TrivialRouteHook(benchmark::State& state) {
  auto script = load("return { route = function(ctx, msg) return 'faq' end }");
  MemoryScriptServices services;
  ScriptInput in = realisticInput();
  for (auto _ : state) {
    HookOutcome o = script->run(Hook::kRoute, in, services, "kassangas");
    benchmark::DoNotOptimize(o.result);
  }
}
BENCHMARK(BM_TrivialRouteHook);

void BM_RouteHookReadingCtx(benchmark::State& state) {
  auto script = load(R"(return { route = function(ctx, msg)
    if not ctx.hours.open_now() then return {'faq', 'static_reply'} end
    if msg.text:lower():find('bei') and ctx.settings.bot_enabled then return 'faq' end
    return nil end })");
  MemoryScriptServices services;
  ScriptInput in = realisticInput();
  for (auto _ : state) {
    HookOutcome o = script->run(Hook::kRoute, in, services, "kassangas");
    benchmark::DoNotOptimize(o.result);
  }
}
BENCHMARK(BM_RouteHookReadingCtx);

// A whole message through a pooled session: checkout, on_message + route + before_send, return.
void BM_PooledSessionThreeHooks(benchmark::State& state) {
  ScriptHost host(ScriptingConfig{});
  TenantConfig tenant;
  tenant.id = "t-1";
  tenant.slug = "kassangas";
  auto active = std::make_shared<ActiveScript>();
  active->version = 1;
  active->source = R"(return {
    on_message = function(ctx, msg) end,
    route = function(ctx, msg) return 'faq' end,
    before_send = function(ctx, reply) end })";
  tenant.script = active;
  MemoryScriptServices services;
  ScriptInput in = realisticInput();
  nlohmann::json reply = {{"kind", "text"}, {"text", "Karibu!"}};
  for (auto _ : state) {
    ScriptSession session = host.open(tenant);
    session.run(Hook::kOnMessage, in, services);
    session.run(Hook::kRoute, in, services);
    session.run(Hook::kBeforeSend, in, services, &reply);
  }
}
BENCHMARK(BM_PooledSessionThreeHooks);

void BM_LoadScriptIntoFreshState(benchmark::State& state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(load("return { route = function(ctx, msg) return 'faq' end }"));
}
BENCHMARK(BM_LoadScriptIntoFreshState);

}  // namespace
}  // namespace baraza

BENCHMARK_MAIN();
