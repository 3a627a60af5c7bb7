// The ai_chain strategy against mock OpenAI-compatible and HuggingFace servers on free ports,
// with injected faults: 500, 429 with Retry-After, timeouts, malformed JSON, empty choices and
// a slow stream. A fake clock and sleep make the breaker and the waits exact.
#include <curl/curl.h>

#include <atomic>

#include <gtest/gtest.h>

#include "ai_chain.h"
#include "prompt.h"
#include "support/mock_graph.h"

namespace baraza::ai {
namespace {

using nlohmann::json;
using test::MockAnswer;
using test::MockGraph;
using test::RecordedRequest;

const bool kCurlReady = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;

MockAnswer completion(const std::string& text, const std::string& model = "mock-model") {
  return {200, json{{"id", "chatcmpl-1"},
                    {"model", model},
                    {"choices",
                     {{{"index", 0},
                       {"message", {{"role", "assistant"}, {"content", text}}},
                       {"finish_reason", "stop"}}}},
                    {"usage", {{"prompt_tokens", 42}, {"completion_tokens", 7}}}}
                   .dump()};
}

MockAnswer status(int code, const std::string& body = R"({"error":{"message":"no"}})") {
  return {code, body};
}

class AiChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(kCurlReady);
    services_.tenant_key = [this](const std::string&, const std::string& provider) {
      return tenant_keys_.count(provider) ? tenant_keys_[provider] : std::string();
    };
    services_.log = [this](int, const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      logs_.push_back(line);
    };
    services_.count = [this](const std::string& name, const std::string& labels) {
      std::lock_guard<std::mutex> lock(mutex_);
      counts_.push_back(name + "{" + labels + "}");
    };
    services_.now_ms = [this] { return now_.load(); };
    services_.sleep_ms = [this](long long ms) {
      sleeps_.push_back(ms);
      now_ += ms;
    };
  }

  ChainConfig config() {
    ChainConfig c;
    c.providers = {
        {"openai", openai_.baseUrl() + "/v1", "gpt-4o-mini", "sk-openai-shared-123", 2000},
        {"openrouter", openrouter_.baseUrl() + "/api/v1", "openai/gpt-4o-mini", "sk-or-shared-456",
         2000},
        {"huggingface", hf_.baseUrl() + "/v1", "meta-llama/Llama-3.1-8B-Instruct", "hf_shared_789",
         2000}};
    c.retry_base_ms = 100;
    c.breaker_failures = 3;
    c.breaker_open_ms = 60000;
    return c;
  }

  static json input(const std::string& text = "Do you sell violins?") {
    return {
        {"tenant",
         {{"id", "t-1"},
          {"slug", "duka"},
          {"name", "Duka"},
          {"settings", {{"ai_responses", true}, {"ai_fallback_reply", "A person will reply."}}},
          {"template",
           {{"system_prompt", "You are Duka's assistant."},
            {"tone", "friendly"},
            {"max_response_length", 120}}},
          {"ai_providers", json::array()}}},
        {"message", {{"text", text}}},
        {"conversation",
         {{"id", "c-1"},
          {"messages",
           {{{"role", "user"}, {"text", "Hello"}}, {{"role", "assistant"}, {"text", "Karibu!"}}}}}},
        {"hints",
         {{"faq",
           {{"candidates",
             {{{"id", "k1"},
               {"question", "Do you sell guitars?"},
               {"answer", "Yes, from KSh 12,000."}}}}}}}},
        {"limits", {{"exceeded", ""}}}};
  }

  std::string allLogs() {
    std::string all;
    for (const auto& l : logs_)
      all += l + "\n";
    return all;
  }

  MockGraph openai_, openrouter_, hf_;
  Services services_;
  std::map<std::string, std::string> tenant_keys_;
  std::atomic<long long> now_{1000000};
  std::vector<long long> sleeps_;
  std::mutex mutex_;
  std::vector<std::string> logs_, counts_;
};

TEST_F(AiChainTest, TheFirstProviderAnswersWithTheTemplateGroundingAndHistory) {
  openai_.respond(
      [](const RecordedRequest&) { return completion("Yes, we do! Violins from KSh 9,000."); });
  AiChain chain(config(), services_);
  json out;
  ASSERT_EQ(chain.decide(input(), out), 0);
  EXPECT_EQ(out["reply"]["text"], "Yes, we do! Violins from KSh 9,000.");
  EXPECT_EQ(out["ai"]["provider"], "openai");
  EXPECT_EQ(out["ai"]["model"], "mock-model");
  EXPECT_EQ(out["ai"]["prompt_tokens"], 42);
  EXPECT_EQ(out["ai"]["completion_tokens"], 7);
  EXPECT_TRUE(out["ai"]["latency_ms"].is_number_integer());
  auto requests = openai_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/chat/completions");
  EXPECT_EQ(requests[0].authorization, "Bearer sk-openai-shared-123");
  json body = json::parse(requests[0].body);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["max_tokens"], 400);
  const json& m = body["messages"];
  ASSERT_EQ(m.size(), 4u);
  std::string system = m[0]["content"];
  EXPECT_NE(system.find("You are Duka's assistant."), std::string::npos);
  EXPECT_NE(system.find("Tone: friendly."), std::string::npos);
  EXPECT_NE(system.find("under 120 characters"), std::string::npos);
  EXPECT_NE(system.find("Q: Do you sell guitars?\nA: Yes, from KSh 12,000."), std::string::npos);
  EXPECT_EQ(m[1], json({{"role", "user"}, {"content", "Hello"}}));
  EXPECT_EQ(m[2], json({{"role", "assistant"}, {"content", "Karibu!"}}));
  EXPECT_EQ(m[3], json({{"role", "user"}, {"content", "Do you sell violins?"}}));
  EXPECT_TRUE(openrouter_.requests().empty());
}

TEST_F(AiChainTest, FaultsFallThroughTheProvidersInOrder) {
  // OpenAI: 500 twice. OpenRouter: 429 with Retry-After: 1, then malformed JSON. HuggingFace:
  // answers.
  openai_.respond([](const RecordedRequest&) { return status(500); });
  std::atomic<int> router_calls{0};
  openrouter_.respond([&](const RecordedRequest&) {
    if (router_calls++ == 0) {
      MockAnswer a = status(429, R"({"error":{"message":"slow down"}})");
      a.headers = {{"Retry-After", "1"}};
      return a;
    }
    return MockAnswer{200, "{\"choices\": [{\"message\": "};
  });
  hf_.respond([](const RecordedRequest&) { return completion("Hugging answer", "llama"); });
  AiChain chain(config(), services_);
  json out;
  ASSERT_EQ(chain.decide(input(), out), 0);
  EXPECT_EQ(out["ai"]["provider"], "huggingface");
  EXPECT_EQ(out["reply"]["text"], "Hugging answer");
  EXPECT_EQ(openai_.requests().size(), 2u);      // retried once on 500
  EXPECT_EQ(openrouter_.requests().size(), 2u);  // retried after the 429
  EXPECT_EQ(hf_.requests().size(), 1u);
  EXPECT_EQ(hf_.requests()[0].authorization, "Bearer hf_shared_789");
  EXPECT_EQ(sleeps_, (std::vector<long long>{100, 1000}));  // backoff, then Retry-After
}

TEST_F(AiChainTest, EmptyChoicesTimeoutsAndASlowStreamAreFailures) {
  openai_.respond([](const RecordedRequest&) { return MockAnswer{200, R"({"choices": []})"}; });
  openrouter_.respond([](const RecordedRequest&) {
    MockAnswer a = completion("too late");
    a.delay = std::chrono::milliseconds(1500);  // past the 400 ms timeout
    return a;
  });
  hf_.respond([](const RecordedRequest&) {
    MockAnswer a = completion("trickling in slowly, eight bytes at a time");
    a.trickle = std::chrono::milliseconds(60);  // headers at once, the body over ~2.5 s
    return a;
  });
  ChainConfig c = config();
  for (auto& p : c.providers)
    p.timeout_ms = 400;
  c.max_attempts = 1;
  AiChain chain(c, services_);
  json out;
  ASSERT_EQ(chain.decide(input(), out), 0);
  EXPECT_EQ(out["fallback"], true);
  EXPECT_EQ(out["reply"]["text"], "A person will reply.");
  EXPECT_EQ(out["escalate"]["source"], "ai_failure");
  EXPECT_EQ(out["escalate"]["priority"], "high");
  std::string counted;
  for (const auto& c : counts_)
    counted += c + " ";
  EXPECT_NE(counted.find("provider=openai,result=empty"), std::string::npos) << counted;
  EXPECT_NE(counted.find("provider=openrouter,result=timeout"), std::string::npos) << counted;
  EXPECT_NE(counted.find("provider=huggingface,result=timeout"), std::string::npos) << counted;
}

TEST_F(AiChainTest, AllFailingWithoutAFallbackTextStillEscalates) {
  for (auto* m : {&openai_, &openrouter_, &hf_})
    m->respond([](const RecordedRequest&) { return status(401); });
  AiChain chain(config(), services_);
  json in = input();
  in["tenant"]["settings"].erase("ai_fallback_reply");
  json out;
  EXPECT_EQ(chain.decide(in, out), 1);
  EXPECT_FALSE(out.contains("reply"));
  EXPECT_EQ(out["escalate"]["source"], "ai_failure");
  EXPECT_EQ(openai_.requests().size(), 1u);  // a 401 is not retried
}

TEST_F(AiChainTest, TheBreakerOpensSkipsTheProviderAndClosesAfterATrial) {
  std::atomic<bool> healthy{false};
  openai_.respond(
      [&](const RecordedRequest&) { return healthy ? completion("openai is back") : status(503); });
  openrouter_.respond([](const RecordedRequest&) { return completion("router answer"); });
  ChainConfig c = config();
  c.max_attempts = 1;
  AiChain chain(c, services_);
  json out;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(chain.decide(input(), out), 0);
    EXPECT_EQ(out["ai"]["provider"], "openrouter");
  }
  EXPECT_EQ(openai_.requests().size(), 3u);
  EXPECT_EQ(chain.breakers().state("openai/shared"), "open");
  ASSERT_EQ(chain.decide(input(), out), 0);  // open: openai is not even asked
  EXPECT_EQ(openai_.requests().size(), 3u);
  EXPECT_EQ(out["ai"]["provider"], "openrouter");

  now_ += 61000;  // half-open: one trial call, which fails and reopens it
  EXPECT_EQ(chain.breakers().state("openai/shared"), "half_open");
  ASSERT_EQ(chain.decide(input(), out), 0);
  EXPECT_EQ(openai_.requests().size(), 4u);
  EXPECT_EQ(chain.breakers().state("openai/shared"), "open");

  now_ += 61000;
  healthy = true;  // the trial succeeds and closes it
  ASSERT_EQ(chain.decide(input(), out), 0);
  EXPECT_EQ(out["ai"]["provider"], "openai");
  EXPECT_EQ(chain.breakers().state("openai/shared"), "closed");
}

TEST_F(AiChainTest, ATenantsOwnOrderModelAndKeyAreUsedAndNoKeyIsLogged) {
  tenant_keys_["huggingface"] = "hf_tenant_secret_key_abc";
  hf_.respond([](const RecordedRequest&) {
    return status(500, R"({"error":"hf_tenant_secret_key_abc is bad"})");
  });
  openai_.respond([](const RecordedRequest&) { return completion("from openai"); });
  json in = input();
  in["tenant"]["ai_providers"] = {
      {{"name", "huggingface"}, {"model", "tenant/model"}, {"has_key", true}},
      {{"name", "openai"}, {"model", ""}, {"has_key", false}},
      {{"name", "nonexistent"}, {"model", ""}, {"has_key", false}}};
  AiChain chain(config(), services_);
  json out;
  ASSERT_EQ(chain.decide(in, out), 0);
  EXPECT_EQ(out["ai"]["provider"], "openai");
  auto hf = hf_.requests();
  ASSERT_EQ(hf.size(), 2u);
  EXPECT_EQ(hf[0].authorization, "Bearer hf_tenant_secret_key_abc");
  EXPECT_EQ(json::parse(hf[0].body)["model"], "tenant/model");
  EXPECT_TRUE(openrouter_.requests().empty());  // not in the tenant's list
  EXPECT_EQ(chain.breakers().state("huggingface/t-1"), "closed");
  std::string logs = allLogs();
  EXPECT_NE(logs.find("nonexistent is not configured"), std::string::npos) << logs;
  for (const char* key :
       {"hf_tenant_secret_key_abc", "sk-openai-shared-123", "sk-or-shared-456", "hf_shared_789"})
    EXPECT_EQ(logs.find(key), std::string::npos) << key << " in " << logs;
}

// Defect 3 of issue 17: a tenant's `model` ran on the operator's shared key (any model, priced
// as the configured one), and its refusals opened the shared key's breaker for every tenant.
TEST_F(AiChainTest, ATenantsModelRunsOnlyOnItsOwnKey) {
  openai_.respond([](const RecordedRequest&) { return completion("shared"); });
  hf_.respond([](const RecordedRequest&) { return completion("own"); });
  json in = input();
  in["tenant"]["ai_providers"] = {{{"name", "openai"}, {"model", "gpt-4-32k"}, {"has_key", false}}};
  AiChain chain(config(), services_);
  json out;
  ASSERT_EQ(chain.decide(in, out), 0);
  ASSERT_EQ(openai_.requests().size(), 1u);
  EXPECT_EQ(json::parse(openai_.requests()[0].body)["model"], "gpt-4o-mini")
      << "the shared key runs the operator's model";
  EXPECT_NE(std::find(counts_.begin(), counts_.end(),
                      "baraza_ai_tenant_model_ignored_total{provider=openai}"),
            counts_.end());
  tenant_keys_["huggingface"] = "hf_tenant_key";
  in["tenant"]["ai_providers"] = {
      {{"name", "huggingface"}, {"model", "tenant/model"}, {"has_key", true}}};
  ASSERT_EQ(chain.decide(in, out), 0);
  EXPECT_EQ(json::parse(hf_.requests()[0].body)["model"], "tenant/model") << "its own key";
  ChainConfig allowing = config();
  allowing.tenant_models_on_shared_keys = true;
  AiChain open_chain(allowing, services_);
  in["tenant"]["ai_providers"] = {{{"name", "openai"}, {"model", "gpt-4-32k"}, {"has_key", false}}};
  ASSERT_EQ(open_chain.decide(in, out), 0);
  EXPECT_EQ(json::parse(openai_.requests()[1].body)["model"], "gpt-4-32k")
      << "when the operator allows it";
}

TEST_F(AiChainTest, ATenantsRefusedRequestsDoNotOpenTheSharedBreaker) {
  std::atomic<int> code{404};
  openai_.respond([&](const RecordedRequest&) {
    return status(code, R"({"error":{"message":"The model `nope` does not exist"}})");
  });
  openrouter_.respond([](const RecordedRequest&) { return completion("router"); });
  ChainConfig c = config();
  c.tenant_models_on_shared_keys = true;  // the worst case: the tenant's model is sent
  AiChain chain(c, services_);
  json in = input();
  in["tenant"]["ai_providers"] = {{{"name", "openai"}, {"model", "nope"}, {"has_key", false}},
                                  {{"name", "openrouter"}, {"model", ""}, {"has_key", false}}};
  json out;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(chain.decide(in, out), 0);
    EXPECT_EQ(out["ai"]["provider"], "openrouter");
  }
  EXPECT_EQ(chain.breakers().state("openai/shared"), "closed")
      << "five 404s of one tenant switched the shared key off for everyone";
  code = 401;  // the shared key itself is bad: that is the provider's, and it opens
  for (int i = 0; i < 3; ++i)
    chain.decide(in, out);
  EXPECT_EQ(chain.breakers().state("openai/shared"), "open");
}

TEST_F(AiChainTest, NoAiCallWhenTurnedOffPastALimitOrWithoutKeys) {
  openai_.respond([](const RecordedRequest&) { return completion("x"); });
  AiChain chain(config(), services_);
  json out, in = input();
  in["tenant"]["settings"]["ai_responses"] = false;
  EXPECT_EQ(chain.decide(in, out), 1);
  in = input();
  in["limits"]["exceeded"] = "max_messages_per_hour";
  EXPECT_EQ(chain.decide(in, out), 1);
  ChainConfig keyless = config();
  for (auto& p : keyless.providers)
    p.api_key.clear();
  AiChain none(keyless, services_);
  EXPECT_EQ(none.decide(input(), out), 1);
  EXPECT_TRUE(out.is_null());
  EXPECT_TRUE(openai_.requests().empty());
}

TEST_F(AiChainTest, AnUnreachableProviderIsRetriedAfterABackoff) {
  openrouter_.respond([](const RecordedRequest&) { return completion("router"); });
  ChainConfig c = config();
  c.providers[0].base_url = "http://127.0.0.1:1/v1";  // nothing listens: refused at once
  AiChain chain(c, services_);
  json out;
  ASSERT_EQ(chain.decide(input(), out), 0);
  EXPECT_EQ(out["ai"]["provider"], "openrouter");
  EXPECT_EQ(sleeps_, (std::vector<long long>{100}));  // one backoff, then the second attempt
}

TEST(CircuitBreakers, AHalfOpenTrialNeverMadeIsReleased) {
  long long now = 0;
  CircuitBreakers breakers(1, 1000, [&] { return now; });
  EXPECT_TRUE(breakers.allow("p"));
  EXPECT_TRUE(breakers.failed("p"));  // opened
  EXPECT_FALSE(breakers.allow("p"));
  now = 2000;
  EXPECT_TRUE(breakers.allow("p"));   // the trial
  EXPECT_FALSE(breakers.allow("p"));  // only one
  breakers.release("p");              // the caller had no time left to make it
  EXPECT_TRUE(breakers.allow("p"));
  breakers.succeeded("p");
  EXPECT_EQ(breakers.state("p"), "closed");
}

TEST(Prompt, AnswersAreTrimmedToTheTemplateAndWhatsAppLimits) {
  EXPECT_EQ(trimAnswer("  short  ", 100), "short");
  std::string two = "First sentence here. Second sentence is much longer than the limit allows.";
  EXPECT_EQ(trimAnswer(two, 40), "First sentence here.");
  std::string words = "one two three four five six seven eight nine ten eleven twelve";
  std::string cut = trimAnswer(words, 30);
  EXPECT_LE(cut.size(), 30u + 2);  // the ellipsis is 3 bytes, 1 character
  EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6");
  std::string swahili;
  for (int i = 0; i < 3000; ++i)
    swahili += "\xC3\xA9";  // é: 2 bytes, 1 character
  std::string limited = trimAnswer(swahili, kWhatsAppTextLimit);
  EXPECT_EQ(limited, swahili);  // 3,000 characters fit
  std::string huge(10000, 'a');
  EXPECT_LE(trimAnswer(huge, kWhatsAppTextLimit).size(), kWhatsAppTextLimit + 2);
}

}  // namespace
}  // namespace baraza::ai
