// The routes the console added (issue 18), in both dialects: a person's reply through the
// outbox, analytics per day, dead sends retried, /session, and the console's static files.
#include "integration/pipeline_fixture.h"

namespace baraza::test {
namespace {

class ConsoleRoutes : public Pipeline {
 protected:
  // The tenant's first conversation, opened by one customer message answered by the bot.
  std::string openConversation() {
    EXPECT_EQ(post(textWebhook({{"wamid.C-1", "hello"}})).status, 200);
    EXPECT_TRUE(eventually([&] { return messageSends() == 1; }));
    return admin("/admin/v1/tenants/duka/conversations")["conversations"][0]["id"];
  }
  RawResponse reply(const std::string& conversation, const std::string& body) {
    return adminCall("POST", "/admin/v1/tenants/duka/conversations/" + conversation + "/reply",
                     body);
  }
  json lastSend() {
    auto all = graph_.requests();
    return json::parse(all.back().body, nullptr, false);
  }
  void sql(const std::string& text) {
    Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.sql() << text;
    tx.commit();
  }
};

TEST_P(ConsoleRoutes, APersonsReplyGoesOutThroughTheOutboxRecordedWithItsAuthor) {
  start();
  std::string conversation = openConversation();
  // Bad bodies name the problem and send nothing.
  EXPECT_EQ(reply(conversation, "{}").status, 400);
  EXPECT_EQ(reply(conversation, R"({"text": "a", "template": {"name": "x"}})").status, 400);
  auto empty = reply(conversation, R"({"text": ""})");
  EXPECT_EQ(empty.status, 400);
  EXPECT_NE(empty.body.find("\"field\":\"text\""), std::string::npos) << empty.body;
  EXPECT_EQ(reply(conversation, R"({"text": "hi", "colour": 1})").status, 400);
  EXPECT_EQ(reply("00000000-0000-4000-8000-000000000000", R"({"text": "hi"})").status, 404);
  EXPECT_EQ(reply("not-a-conversation", R"({"text": "hi"})").status, 404);
  // The limit counts characters: 4,097 of them (8,193 bytes) are one too many.
  std::string longest;
  for (int i = 0; i < 4096; ++i)
    longest += "\u00e9";
  EXPECT_EQ(reply(conversation, R"({"text": ")" + longest + "x\"}").status, 400);
  // A script tried from the console is checked as an upload is.
  auto nul =
      adminCall("POST", "/admin/v1/tenants/duka/script/check", R"({"source": "return {}\u0000"})");
  EXPECT_EQ(nul.status, 400) << nul.body;
  EXPECT_NE(nul.body.find("not UTF-8 text"), std::string::npos) << nul.body;
  auto broken = adminCall("POST", "/admin/v1/tenants/duka/script/test",
                          R"({"source": "return {\n  x = = 1\n}", "message": "hi"})");
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(broken.body.find("\"line\":2"), std::string::npos) << broken.body;
  EXPECT_EQ(messageSends(), 1u);

  auto sent = reply(conversation, R"({"text": "Habari, Amina here.", "author": "Amina"})");
  ASSERT_EQ(sent.status, 202) << sent.body;
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; }));
  json body = lastSend();
  EXPECT_EQ(body["to"], "254711000111");
  EXPECT_EQ(body["type"], "text");
  EXPECT_EQ(body["text"]["body"], "Habari, Amina here.");
  json mine = admin("/admin/v1/tenants/duka/messages?direction=outbound&q=amina%20here");
  ASSERT_EQ(mine["messages"].size(), 1u);
  EXPECT_EQ(mine["messages"][0]["sent_by"], "Amina (operator)");
  EXPECT_EQ(mine["messages"][0]["strategy"], "human");
  EXPECT_TRUE(mine["messages"][0]["processing_ms"].is_null()) << "not in the bot's reply times";
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/messages?direction=outbound&q=amina%20here")["messages"][0]
                                                                                     ["status"] ==
           "sent";
  }));
  // The person has the conversation now: the bot stays silent.
  json c = admin("/admin/v1/tenants/duka/conversations/" + conversation);
  EXPECT_EQ(c["assigned_to"], "Amina");
  EXPECT_EQ(c["status"], "escalated");
  EXPECT_EQ(admin("/admin/v1/tenants/duka/audit?action=reply")["entries"].size(), 1u);

  // Outside the 24-hour window only a template may go.
  sql("UPDATE conversations SET window_expires_at = '2020-01-01T00:00:00Z'");
  auto late = reply(conversation, R"({"text": "are you there?"})");
  EXPECT_EQ(late.status, 422) << late.body;
  EXPECT_NE(late.body.find("outside_window"), std::string::npos);
  auto templated = reply(
      conversation,
      R"({"template": {"name": "karibu_tena", "language": "sw", "parameters": ["Wanjiku"]}})");
  ASSERT_EQ(templated.status, 202) << templated.body;
  ASSERT_TRUE(eventually([&] { return messageSends() == 3; }));
  body = lastSend();
  EXPECT_EQ(body["type"], "template");
  EXPECT_EQ(body["template"]["name"], "karibu_tena");
  EXPECT_EQ(body["template"]["language"]["code"], "sw");
  EXPECT_EQ(body["template"]["components"][0]["parameters"][0]["text"], "Wanjiku");
  EXPECT_EQ(messageSends(), 3u) << "nothing sent twice";
}

TEST_P(ConsoleRoutes, AnalyticsCountEachDayFromTheUsageCounters) {
  start();
  std::string conversation = openConversation();
  ASSERT_EQ(post(textWebhook({{"wamid.C-2", "again"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; }));
  ASSERT_EQ(reply(conversation, R"({"text": "A person answers."})").status, 202);
  ASSERT_TRUE(eventually([&] { return messageSends() == 3; }));
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/analytics?days=0", "").status, 400);
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/analytics?days=91", "").status, 400);
  EXPECT_EQ(adminCall("GET", "/admin/v1/tenants/duka/analytics?to=yesterday", "").status, 400);
  // Counted whether or not the batches were folded into the counters yet.
  json a;
  ASSERT_TRUE(eventually([&] {
    a = admin("/admin/v1/tenants/duka/analytics?days=3");
    return a["totals"]["outbound"] == 3;
  })) << a.dump();
  ASSERT_EQ(a["days"].size(), 3u);
  json today = a["days"][2];
  EXPECT_EQ(today["day"], a["to"]);
  EXPECT_EQ(today["inbound"], 2);
  EXPECT_EQ(today["outbound"], 3);
  EXPECT_EQ(today["human_replies"], 1);
  EXPECT_EQ(today["faq_answers"], 0);
  EXPECT_EQ(today["unanswered"], 2) << "a static reply is no answer";
  EXPECT_TRUE(today["median_reply_ms"].is_number()) << today.dump();
  EXPECT_EQ(a["days"][0]["inbound"], 0);
  EXPECT_TRUE(a["days"][0]["median_reply_ms"].is_null());
  // A day that is over keeps the median computed at its first view; today's is computed anew.
  EXPECT_EQ(count("SELECT COUNT(*) FROM reply_medians"), 2) << "the two days before today";
  sql("UPDATE reply_medians SET median_ms = 4242 WHERE day = '" +
      a["days"][1]["day"].get<std::string>() + "'");
  json again = admin("/admin/v1/tenants/duka/analytics?days=3");
  EXPECT_EQ(again["days"][1]["median_reply_ms"], 4242);
  EXPECT_EQ(again["days"][2]["median_reply_ms"], today["median_reply_ms"]);
  EXPECT_TRUE(again["days"][0]["median_reply_ms"].is_null());
  // A day in the past has nothing.
  json old = admin("/admin/v1/tenants/duka/analytics?days=2&to=2026-01-02");
  EXPECT_EQ(old["from"], "2026-01-01");
  EXPECT_EQ(old["totals"]["inbound"], 0);
  // The tenants list shows today's volume.
  json tenants = admin("/admin/v1/tenants");
  EXPECT_EQ(tenants["tenants"][0]["today"]["inbound"], 2);
  EXPECT_EQ(tenants["tenants"][0]["today"]["outbound"], 3);
}

TEST_P(ConsoleRoutes, ADeadSendIsListedAndRetried) {
  start();
  openConversation();
  sql("UPDATE outbox_messages SET status = 'dead', last_error = 'gave up'");
  json dead = admin("/admin/v1/outbox?status=dead");
  ASSERT_EQ(dead["sends"].size(), 1u) << dead.dump();
  EXPECT_EQ(dead["sends"][0]["tenant"], "duka");
  EXPECT_EQ(dead["sends"][0]["error"], "gave up");
  std::string id = dead["sends"][0]["id"];
  EXPECT_EQ(adminCall("GET", "/admin/v1/outbox?status=sent", "").status, 400);
  auto retried = adminCall("POST", "/admin/v1/outbox/" + id + "/retry", "");
  ASSERT_EQ(retried.status, 202) << retried.body;
  ASSERT_TRUE(eventually([&] { return messageSends() == 2; }));
  EXPECT_EQ(admin("/admin/v1/outbox?status=dead")["sends"].size(), 0u);
  EXPECT_EQ(adminCall("POST", "/admin/v1/outbox/" + id + "/retry", "").status, 409);
  EXPECT_EQ(adminCall("POST", "/admin/v1/outbox/no-such-send/retry", "").status, 404);
  EXPECT_EQ(admin("/admin/v1/session")["role"], "operator");
}

INSTANTIATE_TEST_SUITE_P(BothDialects, ConsoleRoutes,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

class Console : public Pipeline {};

TEST_P(Console, ServesItsFilesUnderAPolicyWithoutInlineScript) {
  start({{"BARAZA_CONSOLE_DIR", sourceDir() + "/console"}});
  auto page = httpRequest(engine_->port(), "GET", "/console");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("/console/js/app.js"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  std::string policy = page.headers["content-security-policy"];
  EXPECT_NE(policy.find("script-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("unsafe"), std::string::npos) << policy;
  EXPECT_NE(policy.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
  auto script = httpRequest(engine_->port(), "GET", "/console/js/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_NE(script.headers["content-type"].find("text/javascript"), std::string::npos);
  auto chart = httpRequest(engine_->port(), "GET", "/console/vendor/chart.js");
  EXPECT_EQ(chart.status, 200) << "Debian's libjs-chart.js (tools/install-deps.sh)";
  EXPECT_NE(chart.body.find("Chart"), std::string::npos);
  for (const char* outside :
       {"/console/../CMakeLists.txt", "/console/%2e%2e/CMakeLists.txt",
        "/console/js/../../CMakeLists.txt", "/console/.hidden", "/console/no-such-file.js"}) {
    auto r = httpRequest(engine_->port(), "GET", outside);
    EXPECT_EQ(r.status, 404) << outside;
    EXPECT_EQ(r.body.find("cmake_minimum_required"), std::string::npos) << outside;
  }
}

INSTANTIATE_TEST_SUITE_P(SqliteOnly, Console, ::testing::Values(Dialect::kSqlite),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
