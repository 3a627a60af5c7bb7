// The per-process pool of tenant script states: reuse, versions, quarantine and its end.
#include <gtest/gtest.h>

#include "scripting/memory_services.h"
#include "scripting/script_host.h"

namespace baraza {
namespace {

TenantConfig tenantWith(const std::string& source, int version, bool quarantined = false) {
  TenantConfig t;
  t.id = "t-1";
  t.slug = "duka";
  auto script = std::make_shared<ActiveScript>();
  script->version = version;
  script->source = source;
  script->quarantined = quarantined;
  t.script = script;
  return t;
}

TEST(ScriptHost, StatesAreReusedPerVersionAndCountedThroughMoves) {
  ScriptHost host(ScriptingConfig{});
  MemoryScriptServices services;
  ScriptInput in;
  auto v1 = tenantWith("local n = 0 return { route = function() n = n + 1 return n end }", 1);
  {
    ScriptSession a = host.open(v1);
    EXPECT_EQ(a.run(Hook::kRoute, in, services).result, 1);
    ScriptSession moved = std::move(a);  // one state, given back once
    EXPECT_EQ(host.liveStates(), 1u);
  }
  EXPECT_EQ(host.liveStates(), 1u);
  {
    ScriptSession again = host.open(v1);  // the same state: its upvalue counted on
    EXPECT_EQ(again.run(Hook::kRoute, in, services).result, 2);
  }
  auto v2 = tenantWith("return { route = function() return 'v2' end }", 2);
  {
    ScriptSession fresh = host.open(v2);  // a new version never reuses the old state
    EXPECT_EQ(fresh.run(Hook::kRoute, in, services).result, "v2");
  }
  EXPECT_EQ(host.liveStates(), 1u);
  host.evictIdle();
  EXPECT_EQ(host.liveStates(), 1u);  // not idle long enough
}

TEST(ScriptHost, RepeatedFailuresQuarantineUntilTheVersionIsActivatedAgain) {
  ScriptingConfig config;
  config.quarantine_after = 2;
  ScriptHost host(config);
  MemoryScriptServices services;
  ScriptInput in;
  auto failing = tenantWith("return { route = function() error('boom') end }", 1);
  std::string reason;
  for (int i = 0; i < 2; ++i) {
    ScriptSession s = host.open(failing);
    ASSERT_TRUE(s);
    EXPECT_EQ(s.run(Hook::kRoute, in, services).failure, ScriptFailure::kError);
    reason = s.quarantineReason();
  }
  EXPECT_NE(reason.find("2 consecutive failures"), std::string::npos) << reason;
  host.markQuarantined(failing.id, 1);
  EXPECT_FALSE(host.open(failing)) << "quarantined in this process at once";
  // The directory shows the quarantine, then the same version activated afresh.
  EXPECT_FALSE(host.open(tenantWith("return { route = function() error('boom') end }", 1, true)));
  EXPECT_TRUE(host.open(failing));
}

TEST(ScriptHost, AScriptThatDoesNotLoadCountsTowardsQuarantine) {
  ScriptingConfig config;
  config.quarantine_after = 1;
  config.limits.budget_ms = 20;
  ScriptHost host(config);
  ScriptSession s = host.open(tenantWith("while true do end", 1));
  EXPECT_FALSE(s);
  EXPECT_NE(s.quarantineReason().find("load timeout"), std::string::npos) << s.quarantineReason();
}

}  // namespace
}  // namespace baraza
