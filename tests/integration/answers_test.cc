// The answer strategies in the real engine: the FAQ and a mock AI provider answer and are
// recorded, a slow provider does not hold up webhooks, and escalations (all providers failing,
// a keyword) create actions, notify the escalation phone and pause the bot; on SQLite and
// PostgreSQL.
#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

const std::string kTenantKey = "sk-tenant-own-key-4f9a";
const std::string kSharedKey = "sk-or-shared-key-77c1";
const std::string kStaff = "254700999888";

MockAnswer completion(const std::string& text) {
  return {200, json{{"model", "mock-model"},
                    {"choices", {{{"message", {{"role", "assistant"}, {"content", text}}}}}},
                    {"usage", {{"prompt_tokens", 42}, {"completion_tokens", 7}}}}
                   .dump()};
}

class Answers : public Pipeline {
 protected:
  void SetUp() override {
    Pipeline::SetUp();
    ai_.respond([](const RecordedRequest&) { return completion("Violins arrive next month."); });
    std::string file = dir_.write(
        "duka.yaml",
        "slug: duka\nname: Duka\nchannels:\n  - phone_number_id: \"" + kNumber +
            "\"\n    display_phone_number: \"254700555000\"\n"
            "    access_token: EAAG-pipeline-token-secret\nsettings:\n"
            "  strategies: escalation,faq,ai_chain,static_reply\n"
            "  static_reply: \"Asante! We will reply soon.\"\n"
            "  ai_fallback_reply: \"Sorry, a person will answer you soon.\"\n"
            "  escalation_phone: \"" +
            kStaff +
            "\"\n  escalation_template: escalation_alert\n"
            "templates:\n  - name: default\n    system_prompt: You sell instruments.\n"
            "    max_response_length: 300\n    default: true\n"
            "faq:\n  - question: What are your opening hours?\n    answer: We open 8am to 6pm.\n"
            "    keywords: [hours, open]\n"
            "ai_providers:\n  - name: openai\n    api_key: " +
            kTenantKey + "\n  - name: openrouter\n");
    auto r = runBaraza({"tenant", "import", file}, env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  void startAnswers() {
    std::string url = ai_.baseUrl();
    std::string config = dir_.write(
        "answers.yaml",
        "plugins:\n  load: [whatsapp, escalation, faq, ai_chain, static_reply]\n"
        "channels:\n  whatsapp:\n    graph_base_url: " +
            graph_.baseUrl() +
            "\n    apps:\n      - name: default\n        app_secret: " + kSecret +
            "\nstrategies:\n  ai_chain:\n    retry_base_ms: 10\n    providers:\n"
            "      - name: openai\n        base_url: " +
            url + "/v1\n        model: gpt-4o-mini\n        timeout_ms: 5000\n" +
            "        usd_per_1k_micros: 150000\n" + "      - name: openrouter\n        base_url: " +
            url + "/api/v1\n        model: openai/gpt-4o-mini\n        api_key: " + kSharedKey +
            "\npipeline:\n  retry_base_ms: 20\n  retry_max_ms: 100\n"
            "  poll_ms: 20\n  pair_interval_ms: 0\n  lock_ms: 1000\n");
    engine_ = std::make_unique<EngineProcess>(config, env_);
  }
  // Graph sends of messages (not read receipts), as their JSON bodies.
  std::vector<json> sends() {
    std::vector<json> out;
    for (const auto& r : graph_.requests()) {
      if (r.path.find("/messages") != std::string::npos)
        out.push_back(json::parse(r.body, nullptr, false));
    }
    return out;
  }
  RawResponse say(const std::string& wamid, const std::string& text,
                  const std::string& from = "254711000111") {
    return post(textWebhook({{wamid, text}}, from));
  }
  bool done(long long events) {
    return eventually(
        [&] { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'") >= events; });
  }

  MockGraph ai_;
};

TEST_P(Answers, TheFaqAndTheAiAnswerAndWhatProducedEachIsRecorded) {
  startAnswers();
  ASSERT_EQ(say("wamid.A-1", "wat time do u open?").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 1; })) << engine_->log();
  EXPECT_EQ(sends()[0]["text"]["body"], "We open 8am to 6pm.");
  ASSERT_EQ(say("wamid.A-2", "Do you sell violins?").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 2; })) << engine_->log();
  EXPECT_EQ(sends()[1]["text"]["body"], "Violins arrive next month.");

  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE strategy = 'faq' AND knowledge_entry_id "
                  "IS NOT NULL AND knowledge_score > 0.5 AND knowledge_score <= 1"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE strategy = 'ai_chain' AND ai_provider = "
                  "'openai' AND ai_model = 'mock-model' AND ai_prompt_tokens = 42 AND "
                  "ai_completion_tokens = 7 AND ai_latency_ms >= 0"),
            1);
  // The tenant's own key, opened only for the request; the prompt has the history.
  auto requests = ai_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/chat/completions");
  EXPECT_EQ(requests[0].authorization, "Bearer " + kTenantKey);
  json messages = json::parse(requests[0].body)["messages"];
  EXPECT_EQ(messages[0]["content"],
            "You sell instruments.\nKeep every answer under 300 characters.");
  EXPECT_EQ(messages.back()["content"], "Do you sell violins?");
  EXPECT_EQ(messages[messages.size() - 2]["content"], "We open 8am to 6pm.");
  // Never in clear in the log or the database.
  EXPECT_EQ(engine_->log().find(kTenantKey), std::string::npos);
  EXPECT_EQ(engine_->log().find(kSharedKey), std::string::npos);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_ai_providers WHERE api_key_sealed IS NOT NULL"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_ai_providers WHERE api_key_sealed LIKE '%" +
                  kTenantKey + "%'"),
            0);
}

TEST_P(Answers, ASlowProviderDoesNotHoldUpWebhooksOrOtherContacts) {
  ai_.respond([](const RecordedRequest&) {
    MockAnswer a = completion("Worth the wait.");
    a.delay = std::chrono::milliseconds(2500);
    return a;
  });
  startAnswers();
  ASSERT_EQ(say("wamid.S-1", "Do you sell violins?").status, 200);
  ASSERT_TRUE(eventually([&] { return ai_.requests().size() == 1; }));  // now waiting
  auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(say("wamid.S-2", "what are your opening hours", "254722000222").status, 200);
  auto ack_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  EXPECT_LT(ack_ms, 1000) << "the webhook waited for the AI provider";
  // The other contact is answered while the provider still thinks.
  ASSERT_TRUE(eventually([&] { return sends().size() == 1; }));
  EXPECT_EQ(sends()[0]["text"]["body"], "We open 8am to 6pm.");
  ASSERT_TRUE(eventually([&] { return sends().size() == 2; }));
  EXPECT_EQ(sends()[1]["text"]["body"], "Worth the wait.");
}

TEST_P(Answers, EveryProviderFailingSendsTheFallbackEscalatesAndPausesTheBot) {
  ai_.respond([](const RecordedRequest&) { return MockAnswer{500, R"({"error":"down"})"}; });
  startAnswers();
  ASSERT_EQ(say("wamid.F-1", "Do you sell violins?").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 2; })) << engine_->log();
  EXPECT_EQ(ai_.requests().size(), 4u);  // openai twice, then openrouter twice
  EXPECT_EQ(ai_.requests()[2].authorization, "Bearer " + kSharedKey);
  json reply, notice;
  for (const auto& s : sends())
    (s["to"] == kStaff ? notice : reply) = s;
  EXPECT_EQ(reply["text"]["body"], "Sorry, a person will answer you soon.");
  // The staff phone has no open window: the approved template, naming contact and reason.
  EXPECT_EQ(notice["type"], "template") << notice;
  EXPECT_EQ(notice["template"]["name"], "escalation_alert");
  EXPECT_EQ(notice["template"]["components"][0]["parameters"][0]["text"], "Wanjiku (254711000111)");
  EXPECT_EQ(notice["template"]["components"][0]["parameters"][1]["text"],
            "every AI provider failed");
  json actions = admin("/admin/v1/tenants/duka/actions?status=open")["actions"];
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0]["source"], "ai_failure");
  EXPECT_EQ(actions[0]["priority"], "high");
  EXPECT_FALSE(actions[0]["notified_at"].is_null());
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND fallback"), 1);

  // Paused: the next question gets no answer and no AI call until the action is resolved.
  ASSERT_EQ(say("wamid.F-2", "hello?").status, 200);
  ASSERT_TRUE(done(2));
  EXPECT_EQ(sends().size(), 2u);
  EXPECT_EQ(ai_.requests().size(), 4u);
  auto quiet = runBaraza(
      {"simulate", "--tenant", "duka", "--from", "254711000111", "--wait", "anyone there?"}, env_);
  EXPECT_EQ(quiet.exit_code, 0) << quiet.out << quiet.err;
  EXPECT_NE(quiet.out.find("no reply: the engine processed it and stayed silent"),
            std::string::npos)
      << quiet.out;
  ASSERT_TRUE(done(3));
  auto resolved =
      adminCall("PATCH", "/admin/v1/tenants/duka/actions/" + actions[0]["id"].get<std::string>(),
                R"({"status": "resolved"})");
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  ASSERT_EQ(say("wamid.F-3", "what are your opening hours").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 3; }));
  EXPECT_EQ(sends()[2]["text"]["body"], "We open 8am to 6pm.");
}

TEST_P(Answers, AKeywordHandsOverAndTheStaffPhoneIsToldInItsWindow) {
  startAnswers();
  // The staff phone wrote to the business today: its window is open, so a text will do.
  ASSERT_EQ(say("wamid.K-0", "what are your opening hours", kStaff).status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 1; }));
  ASSERT_EQ(say("wamid.K-1", "I want to speak to an agent").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 3; })) << engine_->log();
  json reply, notice;
  for (size_t i = 1; i < sends().size(); ++i)
    (sends()[i]["to"] == kStaff ? notice : reply) = sends()[i];
  EXPECT_EQ(reply["text"]["body"], "Thank you. A member of our team will get back to you shortly.");
  EXPECT_EQ(notice["type"], "text") << notice;
  std::string text = notice["text"]["body"];
  EXPECT_NE(text.find("Escalation from Wanjiku (254711000111): asked for a person (\"agent\")"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("I want to speak to an agent"), std::string::npos);
  json actions = admin("/admin/v1/tenants/duka/actions")["actions"];
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0]["source"], "keyword");
  EXPECT_EQ(actions[0]["assignee"], kStaff);
  EXPECT_TRUE(ai_.requests().empty());
}

TEST_P(Answers, TheAdminApiReplacesTheTenantsProvidersAndNeverShowsAKey) {
  startAnswers();
  const std::string fresh = "sk-fresh-tenant-key-0b3e";
  long long generation = admin("/admin/v1/tenants/duka/runtime")["generation"];
  auto put =
      adminCall("PUT", "/admin/v1/tenants/duka/ai-providers",
                json{{"providers",
                      {{{"name", "openrouter"}, {"model", "tenant/model"}, {"api_key", fresh}},
                       {{"name", "openai"}}}}}
                    .dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.body.find(fresh), std::string::npos);
  json listed = admin("/admin/v1/tenants/duka/ai-providers")["providers"];
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]["name"], "openrouter");
  EXPECT_EQ(listed[0]["api_key"], "********");
  EXPECT_EQ(listed[1]["api_key"], "********");  // openai kept the key it had
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE entity = 'ai_providers'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE CAST(after AS TEXT) LIKE '%" + fresh +
                  "%' OR CAST(before AS TEXT) LIKE '%" + fresh + "%'"),
            0);

  // The directory picks the change up within a second; the next AI call uses the new key.
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/runtime")["generation"].get<long long>() > generation;
  }));
  ASSERT_EQ(say("wamid.P-1", "Do you sell violins?").status, 200);
  ASSERT_TRUE(eventually([&] { return ai_.requests().size() == 1; }));
  EXPECT_EQ(ai_.requests()[0].path, "/api/v1/chat/completions");
  EXPECT_EQ(ai_.requests()[0].authorization, "Bearer " + fresh);
  EXPECT_EQ(json::parse(ai_.requests()[0].body)["model"], "tenant/model");

  for (const char* bad :
       {R"({"providers": [{"name": "Open AI"}]})",
        R"({"providers": [{"name": "x"}, {"name": "x"}]})",
        R"({"providers": [{"name": "x", "colour": "red"}]})", R"({"providers": "openai"})",
        R"({"providers": [{"name": "x", "api_key": "a\nb"}]})"}) {
    auto r = adminCall("PUT", "/admin/v1/tenants/duka/ai-providers", bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("providers"), std::string::npos) << r.body;
  }
  EXPECT_EQ(engine_->log().find(fresh), std::string::npos);
}

TEST_P(Answers, RepeatedQuestionsWithoutAnAnswerEscalate) {
  startAnswers();
  long long generation = admin("/admin/v1/tenants/duka/runtime")["generation"];
  auto patched =
      adminCall("PATCH", "/admin/v1/tenants/duka/settings",
                R"({"strategies": "escalation,static_reply", "escalation_after_unanswered": 2})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/runtime")["generation"].get<long long>() > generation;
  }));
  // The static reply is no answer: after two questions met only by it, the third escalates.
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(
        say("wamid.U-" + std::to_string(i), "do you sell violins? " + std::to_string(i)).status,
        200);
    ASSERT_TRUE(eventually([&] { return sends().size() >= static_cast<size_t>(i); }));
  }
  ASSERT_TRUE(eventually([&] { return sends().size() == 4; }));  // + the staff notice
  EXPECT_EQ(sends()[0]["text"]["body"], "Asante! We will reply soon.");
  EXPECT_EQ(sends()[1]["text"]["body"], "Asante! We will reply soon.");
  json actions = admin("/admin/v1/tenants/duka/actions")["actions"];
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0]["source"], "unanswered");
  EXPECT_EQ(actions[0]["details"], "2 questions in a row got no answer");
  // A fallback reply says so itself; the message it answered is not rewritten to say it too.
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound' AND fallback"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound' AND unanswered"), 0);
}

TEST_P(Answers, AScriptsEscalationIsNotifiedAndPausesLikeAnyOther) {
  startAnswers();
  auto up = adminCall("PUT", "/admin/v1/tenants/duka/script", json{{"source", R"(return {
        on_message = function(ctx, msg)
          if msg.text:find("VIP") then ctx.escalate("a VIP wrote", "low") end
        end,
        escalate = function(ctx, msg, reason)
          return { to = "+254 700-999 888", priority = "urgent" }
        end,
      })"}}.dump());
  ASSERT_EQ(up.status, 201) << up.body;
  ASSERT_TRUE(
      eventually([&] { return !admin("/admin/v1/tenants/duka/runtime")["script"].is_null(); }));
  ASSERT_EQ(say("wamid.L-1", "VIP here: what are your opening hours").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 2; })) << engine_->log();
  json notice;
  for (const auto& s : sends()) {
    if (s["to"] == kStaff)
      notice = s;
  }
  EXPECT_EQ(notice["type"], "template") << json(sends()).dump();
  EXPECT_EQ(notice["template"]["components"][0]["parameters"][1]["text"], "a VIP wrote");
  json actions = admin("/admin/v1/tenants/duka/actions")["actions"];
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0]["source"], "script");
  EXPECT_EQ(actions[0]["priority"], "urgent");
  // The FAQ still answered this message; the next one waits for a person.
  ASSERT_EQ(say("wamid.L-2", "hello?").status, 200);
  ASSERT_TRUE(done(2));
  EXPECT_EQ(sends().size(), 2u);
}

TEST_P(Answers, TheDailyAiQuotaStopsAiCallsAndUsageCountsTokensAndCost) {
  startAnswers();
  long long generation = admin("/admin/v1/tenants/duka/runtime")["generation"];
  ASSERT_EQ(
      adminCall("PATCH", "/admin/v1/tenants/duka/settings", R"({"daily_ai_call_quota": 1})").status,
      200);
  ASSERT_TRUE(eventually([&] {
    return admin("/admin/v1/tenants/duka/runtime")["generation"].get<long long>() > generation;
  }));
  ASSERT_EQ(say("wamid.Q-1", "Do you sell violins?").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 1; }));
  EXPECT_EQ(sends()[0]["text"]["body"], "Violins arrive next month.");
  ASSERT_EQ(say("wamid.Q-2", "Do you sell drums?").status, 200);
  ASSERT_TRUE(eventually([&] { return sends().size() == 2; }));
  EXPECT_EQ(sends()[1]["text"]["body"], "Asante! We will reply soon.");  // no AI call
  EXPECT_EQ(ai_.requests().size(), 1u);
  json usage = admin("/admin/v1/tenants/duka/usage");
  EXPECT_EQ(usage["ai_calls"], 1);
  EXPECT_EQ(usage["tokens"], 49);
  EXPECT_NEAR(usage["estimated_cost_usd"].get<double>(), 49 / 1000.0 * 0.15, 1e-6);
  EXPECT_EQ(usage["limits"]["daily_ai_call_quota"]["used"], 1);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, Answers,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
