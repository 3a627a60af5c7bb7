// Tenant scripts end to end: uploaded through the admin API, run by the real engine on signed
// webhooks, swapped and rolled back live, and a hostile one quarantined while another tenant
// keeps being answered; on SQLite and PostgreSQL.
#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

class Scripting : public Pipeline {
 protected:
  // Uploads a version and, when it goes live, waits until this process serves it.
  RawResponse upload(const std::string& lua, bool activate = true) {
    auto r = adminCall("PUT", "/admin/v1/tenants/duka/script",
                       json{{"source", lua}, {"activate", activate}}.dump());
    if (r.status == 201 && activate)
      waitServed(json::parse(r.body)["version"]);
    return r;
  }
  void waitServed(int version) {
    EXPECT_TRUE(eventually([&] {
      json script = admin("/admin/v1/tenants/duka/runtime")["script"];
      return version == 0 ? script.is_null() : (!script.is_null() && script["version"] == version);
    })) << "version "
        << version << " never served";
  }
  // The text of the last reply sent to Graph.
  std::string lastReplyText() {
    auto requests = graph_.requests();
    for (auto it = requests.rbegin(); it != requests.rend(); ++it) {
      if (it->path.find("/messages") == std::string::npos)
        continue;
      json body = json::parse(it->body, nullptr, false);
      if (body.value("type", "") == "text")
        return body["text"]["body"];
      return body.dump();
    }
    return "";
  }
  // Posts one message and waits for its reply's text.
  std::string ask(const std::string& wamid, const std::string& text,
                  const std::string& number = kNumber) {
    size_t before = messageSends();
    auto r = post(textWebhook({{wamid, text}}, "254711000111", number));
    EXPECT_EQ(r.status, 200) << r.body;
    if (!eventually([&] { return messageSends() > before; }))
      return "(no reply) " + engine_->log();
    return lastReplyText();
  }
  double metric(const std::string& series) {
    auto r = httpRequest(engine_->port(), "GET", "/metrics");
    auto at = r.body.find(series + " ");
    return at == std::string::npos ? 0 : std::stod(r.body.substr(at + series.size() + 1));
  }
};

TEST_P(Scripting, AScriptAnswersEscalatesAndKeepsData) {
  start();
  auto r = upload(R"(
    return {
      on_message = function(ctx, msg)
        ctx.kv.set("seen", (ctx.kv.get("seen") or 0) + 1)
        if msg.text:lower():find("human") then
          ctx.escalate("asked for a person", "high")
          ctx.reply("Sawa, " .. ctx.contact.name .. "! A person will call you.")
        end
      end,
      escalate = function(ctx, msg, reason) return { to = "254700000042" } end,
      before_send = function(ctx, reply)
        if reply.kind == "text" then return reply.text .. " [" .. ctx.tenant.slug .. "]" end
      end,
    })");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(ask("wamid.S-1", "I want a human"), "Sawa, Wanjiku! A person will call you. [duka]");
  // The escalation pauses the bot in that conversation until a person resolves it.
  ASSERT_EQ(post(textWebhook({{"wamid.S-2", "bei gani?"}}, "254711000111", kNumber)).status, 200);
  ASSERT_TRUE(eventually(
      [&] { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'") == 2; }));
  EXPECT_EQ(admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"].size(), 1u);
  json actions = admin("/admin/v1/tenants/duka/actions?status=open")["actions"];
  ASSERT_EQ(actions.size(), 1u) << actions;
  EXPECT_EQ(actions[0]["type"], "escalation");
  EXPECT_EQ(actions[0]["details"], "asked for a person");
  EXPECT_EQ(actions[0]["priority"], "high");
  EXPECT_EQ(actions[0]["assignee"], "254700000042");
  EXPECT_EQ(actions[0]["source"], "script");
  EXPECT_EQ(admin("/admin/v1/tenants/duka/conversations")["conversations"][0]["status"],
            "escalated");

  // Resolved: the conversation reopens and the bot answers again.
  auto resolved =
      adminCall("PATCH", "/admin/v1/tenants/duka/actions/" + actions[0]["id"].get<std::string>(),
                R"({"status": "resolved", "resolution": "called back"})");
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  EXPECT_EQ(json::parse(resolved.body)["resolution"], "called back");
  EXPECT_FALSE(json::parse(resolved.body)["resolved_at"].is_null());
  EXPECT_EQ(admin("/admin/v1/tenants/duka/conversations")["conversations"][0]["status"], "open");
  EXPECT_EQ(ask("wamid.S-3", "bei gani?"), "Asante! We will reply soon. [duka]");
  json out = admin("/admin/v1/tenants/duka/messages?direction=outbound")["messages"];
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["strategy"], "script");
  EXPECT_EQ(out[0]["strategy"], "static_reply");
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_kv WHERE key = 'seen' AND value = '3'"), 1);
  EXPECT_EQ(
      adminCall("PATCH", "/admin/v1/tenants/duka/actions/nope", R"({"status": "resolved"})").status,
      404);
  EXPECT_EQ(
      adminCall("PATCH", "/admin/v1/tenants/duka/actions/" + actions[0]["id"].get<std::string>(),
                R"({"status": "done"})")
          .status,
      400);
}

TEST_P(Scripting, UploadsAreCheckedVersionedSwappedLiveAndRolledBack) {
  start();
  auto bad = upload("return {\n  route = function(ctx, msg) ctx.reply('x' end\n}");
  ASSERT_EQ(bad.status, 400) << bad.body;
  json problem = json::parse(bad.body);
  EXPECT_EQ(problem["field"], "source");
  EXPECT_EQ(problem["line"], 2);
  EXPECT_NE(problem["details"].get<std::string>().find("duka.lua:2:"), std::string::npos);
  EXPECT_EQ(admin("/admin/v1/tenants/duka/script/versions")["versions"].size(), 0u);
  EXPECT_EQ(adminCall("PUT", "/admin/v1/tenants/duka/script", "\x1bLJ\x02", "text/x-lua").status,
            400);
  auto bytes = adminCall("PUT", "/admin/v1/tenants/duka/script", "return {} -- caf\xe9",
                         "text/x-lua");  // Latin-1, which PostgreSQL would refuse
  EXPECT_EQ(bytes.status, 400) << bytes.body;
  EXPECT_NE(bytes.body.find("not UTF-8"), std::string::npos) << bytes.body;

  // Version 1 as raw text; version 2 stored without going live.
  auto v1 =
      adminCall("PUT", "/admin/v1/tenants/duka/script",
                "return { route = function(ctx) total = 1 ctx.reply('v1') end }", "text/x-lua");
  ASSERT_EQ(v1.status, 201) << v1.body;
  json v1_body = json::parse(v1.body);
  EXPECT_EQ(v1_body["version"], 1);
  EXPECT_EQ(v1_body["hooks"], json::array({"route"}));
  EXPECT_NE(v1_body["warnings"].dump().find("assigns global 'total'"), std::string::npos);
  ASSERT_EQ(upload("return { route = function(ctx) ctx.reply('v2') end }").status, 201);
  ASSERT_EQ(upload("return { route = function(ctx) ctx.reply('v3') end }", false).status, 201);
  EXPECT_EQ(admin("/admin/v1/tenants/duka/script")["version"], 2);
  EXPECT_EQ(ask("wamid.V-1", "hi"), "v2");

  // Activating version 3 reaches the running workers with no restart.
  ASSERT_EQ(adminCall("POST", "/admin/v1/tenants/duka/script/versions/3/activate", "{}").status,
            200);
  waitServed(3);
  EXPECT_EQ(ask("wamid.V-3", "hi"), "v3");
  // Roll back to version 1 (its hook fails on the frozen global: the default answers).
  ASSERT_EQ(adminCall("POST", "/admin/v1/tenants/duka/script/versions/1/activate", "{}").status,
            200);
  waitServed(1);
  EXPECT_EQ(ask("wamid.V-1b", "hi"), "Asante! We will reply soon.");
  EXPECT_GE(metric("baraza_script_failures_total{kind=\"error\",tenant=\"duka\"}"), 1);

  json page = admin("/admin/v1/tenants/duka/script/versions?limit=2");
  ASSERT_EQ(page["versions"].size(), 2u);
  EXPECT_EQ(page["versions"][0]["version"], 3);
  json rest = admin("/admin/v1/tenants/duka/script/versions?limit=2&cursor=" +
                    page["next_cursor"].get<std::string>());
  ASSERT_EQ(rest["versions"].size(), 1u);
  EXPECT_EQ(rest["versions"][0]["version"], 1);
  EXPECT_TRUE(rest["versions"][0]["active"].get<bool>());
  EXPECT_NE(
      admin("/admin/v1/tenants/duka/script/versions/2")["source"].get<std::string>().find("v2"),
      std::string::npos);
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/script/versions/9", "").status, 404);
  EXPECT_EQ(adminCall("POST", "/admin/v1/tenants/duka/script/versions/x/activate", "{}").status,
            404);

  // No script: the tenant's strategies again.
  EXPECT_EQ(adminCall("DELETE", "/admin/v1/tenants/duka/script", "").status, 204);
  waitServed(0);
  EXPECT_EQ(ask("wamid.V-none", "hi"), "Asante! We will reply soon.");
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/script", "").status, 404);
  EXPECT_EQ(adminCall("DELETE", "/admin/v1/tenants/duka/script", "").status, 404);
  json audit = admin("/admin/v1/tenants/duka/audit")["entries"];
  EXPECT_NE(audit.dump().find("\"entity\":\"script\""), std::string::npos);
}

TEST_P(Scripting, AHostileScriptIsQuarantinedWhileAnotherTenantIsAnswered) {
  std::string soko =
      dir_.write("soko.yaml",
                 "slug: soko\nname: Soko\nchannels:\n  - phone_number_id: \"5552000\"\n"
                 "    display_phone_number: \"254700555002\"\n    access_token: EAAG-soko-token\n"
                 "settings:\n  static_reply: \"Soko here.\"\n  strategies: static_reply\n");
  ASSERT_EQ(runBaraza({"tenant", "import", soko}, env_).exit_code, 0);
  start({{"BARAZA_SCRIPTING_QUARANTINE_AFTER", "3"}, {"BARAZA_SCRIPTING_BUDGET_MS", "50"}});
  ASSERT_EQ(upload("return { route = function() while true do end end }").status, 201);
  for (int i = 1; i <= 4; ++i) {
    // The hostile tenant still gets its default answer; the other tenant is answered too.
    EXPECT_EQ(ask("wamid.H-" + std::to_string(i), "hi"), "Asante! We will reply soon.");
    EXPECT_EQ(ask("wamid.O-" + std::to_string(i), "hi", "5552000"), "Soko here.");
  }
  EXPECT_EQ(metric("baraza_script_failures_total{kind=\"timeout\",tenant=\"duka\"}"), 3);
  json alerts = admin("/admin/v1/alerts")["alerts"];
  ASSERT_EQ(alerts.size(), 1u) << alerts;
  EXPECT_EQ(alerts[0]["kind"], "script_quarantined");
  EXPECT_EQ(alerts[0]["tenant"], "duka");
  EXPECT_EQ(alerts[0]["version"], 1);
  EXPECT_NE(engine_->log().find("quarantined"), std::string::npos);
  EXPECT_FALSE(admin("/admin/v1/tenants/duka/script")["quarantined_at"].is_null());

  // A new version lifts it.
  ASSERT_EQ(upload("return { route = function(ctx) ctx.reply('fixed') end }").status, 201);
  EXPECT_EQ(ask("wamid.F-1", "hi"), "fixed");
  EXPECT_EQ(admin("/admin/v1/alerts")["alerts"].size(), 0u);
}

// Issue 17, defect 1, as measured there: while 16 messages reach a tenant whose on_message loops
// on large ctx.kv.set writes, another tenant's webhooks waited 3 s for their 200 or got 503, and
// its answers took 4-7 s instead of 0.3 s. Its database work is now bounded per hook
// (scripting.host_calls, scripting.host_ms).
TEST_P(Scripting, ATenantLoopingOnKvWritesHoldsUpNoOtherTenant) {
  std::string soko =
      dir_.write("soko.yaml",
                 "slug: soko\nname: Soko\nchannels:\n  - phone_number_id: \"5552000\"\n"
                 "    display_phone_number: \"254700555002\"\n    access_token: EAAG-soko-token\n"
                 "settings:\n  static_reply: \"Soko here.\"\n  strategies: static_reply\n"
                 "  max_messages_per_hour: 0\n  max_messages_per_user_per_day: 0\n");
  ASSERT_EQ(runBaraza({"tenant", "import", soko}, env_).exit_code, 0);
  limitsOff();
  // Never quarantined: the looping script runs for every one of its messages.
  start({{"BARAZA_SCRIPTING_QUARANTINE_AFTER", "1000000"}});
  ASSERT_EQ(upload("local big = string.rep('x', 60000)\n"
                   "return { on_message = function(ctx, msg)\n"
                   "  local i = 0\n"
                   "  while true do i = i + 1; pcall(ctx.kv.set, 'k' .. (i % 16), big) end\n"
                   "end }")
                .status,
            201);
  std::vector<std::string> hostile, hostile_from;
  for (int i = 0; i < 16; ++i) {
    hostile_from.push_back("2547160" + std::to_string(10000 + i));
    hostile.push_back(textWebhook({{"wamid.KV-" + std::to_string(i), "hi"}}, hostile_from[i]));
  }
  std::jthread flood([&] {
    for (const auto& body : hostile)
      EXPECT_EQ(post(body).status, 200);
  });
  double slowest_ack = 0, slowest_answer = 0;
  for (int i = 0; i < 10; ++i) {
    std::string from = "2547170" + std::to_string(10000 + i);
    auto sent_at = std::chrono::steady_clock::now();
    auto r = post(textWebhook({{"wamid.SOKO-" + std::to_string(i), "hi"}}, from, "5552000"));
    auto acked_at = std::chrono::steady_clock::now();
    EXPECT_EQ(r.status, 200) << r.body;
    ASSERT_TRUE(eventually([&] { return repliesByRecipient().count(from) > 0; })) << engine_->log();
    auto answered_at = std::chrono::steady_clock::now();
    slowest_ack = std::max(slowest_ack, std::chrono::duration<double>(acked_at - sent_at).count());
    slowest_answer =
        std::max(slowest_answer, std::chrono::duration<double>(answered_at - sent_at).count());
  }
  flood.join();
  ASSERT_TRUE(waitAllAnswered(hostile_from, std::chrono::seconds(10)))
      << "the looping tenant's own messages are answered too\n"
      << engine_->log();
  std::cout << "another tenant beside a kv-looping script: slowest 200 " << slowest_ack
            << " s, slowest answer " << slowest_answer << " s\n";
  EXPECT_LT(slowest_ack, 1.0);
  EXPECT_LT(slowest_answer, 3.0);  // 0.3 s beside a quiet tenant; the issue saw 4-7 s
  // Past its 20 calls each further one is refused; the loop then runs into its CPU budget.
  EXPECT_GE(metric("baraza_script_failures_total{kind=\"timeout\",tenant=\"duka\"}"), 1)
      << "the hook was stopped\n"
      << httpRequest(engine_->port(), "GET", "/metrics").body;
}

TEST_P(Scripting, RefusedStatementsAndLaterFailuresLoseNothingAlreadyAsked) {
  start({{"BARAZA_SCRIPTING_BUDGET_MS", "50"}});
  // A kv key PostgreSQL would refuse is refused by ctx first (a bad argument raises); a kv
  // write that fails leaves the message's transaction usable; an escalation asked for in
  // on_message is recorded although route then runs out of time.
  ASSERT_EQ(upload(R"(
    return {
      on_message = function(ctx, msg)
        local ok, err = pcall(ctx.kv.set, "bad\255key", 1)
        ctx.log("bad key: " .. tostring(ok) .. " " .. tostring(err))
        ctx.kv.set("ok", true)
        ctx.escalate("wants the manager", "urgent")
      end,
      route = function(ctx, msg) while true do end end,
    })")
                .status,
            201);
  EXPECT_EQ(ask("wamid.R-1", "manager!"), "Asante! We will reply soon.");
  EXPECT_NE(engine_->log().find("a key is UTF-8 text without NUL"), std::string::npos)
      << engine_->log();
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_kv WHERE key = 'ok'"), 1);
  json actions = admin("/admin/v1/tenants/duka/actions")["actions"];
  ASSERT_EQ(actions.size(), 1u) << actions;
  EXPECT_EQ(actions[0]["details"], "wants the manager");
  EXPECT_EQ(actions[0]["priority"], "urgent");
}

TEST_P(Scripting, HooksRunForDebouncedMessages) {
  start();
  auto on = adminCall("PATCH", "/admin/v1/tenants/duka/settings", R"({"debounce_seconds": 1})");
  ASSERT_EQ(on.status, 200) << on.body;
  ASSERT_EQ(
      upload("return { route = function(ctx, msg) ctx.reply('seen: ' .. msg.text) end }").status,
      201);
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/runtime")["settings"]["debounce_seconds"] == 1;
  }));
  ASSERT_EQ(post(textWebhook({{"wamid.D-1", "one"}, {"wamid.D-2", "two"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << engine_->log();
  EXPECT_EQ(lastReplyText(), "seen: one\ntwo");
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Scripting,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
