// Limits and quotas in the real engine: 200 messages from 20 concurrent senders against a limit
// of 100 replies an hour get exactly 100 answers (SQLite; PostgreSQL with two engine
// processes sharing the database), the limit reply goes once per contact, a person is asked for
// once, a quota survives a restart, and /usage reports it all.
#include <algorithm>

#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

class Limits : public Pipeline {
 protected:
  void importWith(const std::string& settings) {
    std::string file = dir_.write(
        "duka.yaml", "slug: duka\nname: Duka\nchannels:\n  - phone_number_id: \"" + kNumber +
                         "\"\n    display_phone_number: \"254700555000\"\n"
                         "    access_token: EAAG-pipeline-token-secret\nsettings:\n"
                         "  static_reply: \"Asante! We will reply soon.\"\n"
                         "  strategies: static_reply\n  escalation_phone: \"254700999888\"\n" +
                         settings);
    auto r = runBaraza({"tenant", "import", file}, env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // Waits out the last 2 minutes of a UTC hour, so a test's messages share one hour.
  static void awayFromTheHoursEnd() {
    std::time_t now = std::time(nullptr);
    int into_hour = static_cast<int>(now % 3600);
    if (into_hour > 3480)
      std::this_thread::sleep_for(std::chrono::seconds(3601 - into_hour));
  }
  long long outbound() {
    return count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'");
  }
  long long done() { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"); }
  RawResponse postTo(EngineProcess& engine, const std::string& body) {
    return httpRequest(engine.port(), "POST", "/webhook/whatsapp", body,
                       {{"X-Hub-Signature-256", sign(body)}, {"Content-Type", "application/json"}});
  }
};

TEST_P(Limits, TwoHundredMessagesFromTwentySendersGetExactlyOneHundredAnswers) {
  importWith("  max_messages_per_hour: 100\n");
  awayFromTheHoursEnd();
  start();
  std::unique_ptr<EngineProcess> second;
  if (GetParam() == Dialect::kPostgresql)
    second = std::make_unique<EngineProcess>(config(), env_);  // two processes, one database
  std::atomic<int> refused{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < 20; ++s) {
    senders.emplace_back([&, s] {
      EngineProcess& engine = (second && s % 2) ? *second : *engine_;
      std::string from = "2547110" + std::to_string(10000 + s);
      for (int i = 0; i < 10; ++i) {
        std::string id = "wamid.L-" + std::to_string(s) + "-" + std::to_string(i);
        if (postTo(engine, textWebhook({{id, "habari " + std::to_string(i)}}, from)).status != 200)
          ++refused;
      }
    });
  }
  for (auto& t : senders)
    t.join();
  ASSERT_EQ(refused.load(), 0);
  ASSERT_TRUE(eventually([&] { return done() == 200; })) << done() << "\n" << engine_->log();
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 200);
  EXPECT_EQ(outbound(), 100);
  EXPECT_EQ(count("SELECT COALESCE(SUM(value), 0) FROM usage_counters WHERE name = 'replies' AND "
                  "period LIKE 'h:%'"),
            100);
  // Seed 001: one escalation for the tenant's hour, not one per message.
  EXPECT_EQ(count("SELECT COUNT(*) FROM actions WHERE source = 'limit'"), 1);
  json usage = admin("/admin/v1/tenants/duka/usage");
  EXPECT_EQ(usage["inbound"], 200);
  EXPECT_EQ(usage["outbound"], 100);
  EXPECT_EQ(usage["escalations"], 1);
  EXPECT_EQ(usage["limits"]["max_messages_per_hour"]["used"], 100);
  EXPECT_FALSE(usage["median_reply_ms"].is_null());
}

TEST_P(Limits, TheLimitReplyGoesOncePerContactAndTheQuotaSurvivesARestart) {
  importWith(
      "  max_messages_per_hour: 1\n  limit_reply: \"We are busy: a person will write soon.\"\n");
  awayFromTheHoursEnd();
  start();
  auto ask = [&](const std::string& id, const std::string& from, long long events) {
    EXPECT_EQ(post(textWebhook({{id, "hello"}}, from)).status, 200);
    EXPECT_TRUE(eventually([&] { return done() == events; })) << engine_->log();
  };
  ask("wamid.Q-1", "254711000001", 1);
  ask("wamid.Q-2", "254711000002", 2);
  ask("wamid.Q-3", "254711000002", 3);
  auto bodies = [&] {
    std::vector<std::string> out;
    for (const auto& r : graph_.requests()) {
      json b = json::parse(r.body, nullptr, false);
      if (b.value("type", "") == "text" && b.value("to", "") != "254700999888")
        out.push_back(b["text"]["body"]);
    }
    return out;
  };
  // Sends go out concurrently: compared in any order.
  auto sorted = [&] {
    auto b = bodies();
    std::sort(b.begin(), b.end());
    return b;
  };
  ASSERT_TRUE(eventually([&] { return bodies().size() == 2; }));
  EXPECT_EQ(sorted(), (std::vector<std::string>{"Asante! We will reply soon.",
                                                "We are busy: a person will write soon."}));

  engine_.reset();  // a restart: the hour's count is in the database, not the process
  start();
  ask("wamid.Q-4", "254711000003", 4);
  ASSERT_TRUE(eventually([&] { return bodies().size() == 3; }));
  EXPECT_EQ(sorted(), (std::vector<std::string>{"Asante! We will reply soon.",
                                                "We are busy: a person will write soon.",
                                                "We are busy: a person will write soon."}));
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND strategy = "
                  "'static_reply'"),
            1);
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics").body;
  EXPECT_NE(
      metrics.find("baraza_limits_exceeded_total{limit=\"max_messages_per_hour\",tenant=\"duka\"}"),
      std::string::npos)
      << metrics.substr(0, 2000);
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/usage?period=week", "").status, 400);
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/usage?period=month&at=2026-13", "").status,
            400);
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/usage?at=2026-02-31", "").status, 400);
  EXPECT_EQ(admin("/admin/v1/tenants/duka/usage?at=2020-02-29")["inbound"], 0);
  json month = admin("/admin/v1/tenants/duka/usage?period=month");
  EXPECT_EQ(month["inbound"], 4);
  EXPECT_EQ(month["outbound"], 3);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Limits,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
