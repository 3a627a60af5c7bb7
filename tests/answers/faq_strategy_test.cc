// The faq strategy: normalization, typo and Swahili matching, priorities, per-tenant
// thresholds, near-miss hints, and the index rebuilt when the tenant's generation changes.
#include <gtest/gtest.h>

#include "faq_strategy.h"
#include "text_normalizer.h"

namespace baraza::faq {
namespace {

using nlohmann::json;

TEST(FaqText, NormalizationFoldsCaseAccentsChatAndSwahili) {
  EXPECT_EQ(matchTokens("Do you accept M-Pesa??"), (std::vector<std::string>{"acept", "mpesa"}));
  EXPECT_EQ(matchTokens("CAFÉ Crème"), (std::vector<std::string>{"cafe", "creme"}));
  EXPECT_EQ(matchTokens("pleeease wat r ur hrs 2day"),
            (std::vector<std::string>{"what", "hour", "today"}));
  EXPECT_EQ(matchTokens("Bei ya gitaa ni ngapi?"),
            (std::vector<std::string>{"price", "guitar", "much"}));
  EXPECT_EQ(matchTokens("deliveries delivering delivered"),
            (std::vector<std::string>{"delivery", "deliver", "deliver"}));
  EXPECT_TRUE(matchTokens("🎸🎸 !!! ...").empty());
  EXPECT_TRUE(matchTokens(std::string("\xff\xfe\xc3", 3)).empty());  // broken UTF-8
}

json knowledge() {
  return json::array({{{"id", "hours"},
                       {"type", "faq"},
                       {"question", "What are your opening hours?"},
                       {"answer", "9am to 6pm."},
                       {"keywords", {"hours", "open"}},
                       {"priority", 5}},
                      {{"id", "hours-vip"},
                       {"type", "canned_reply"},
                       {"question", "What are your opening hours?"},
                       {"answer", "VIPs: any time."},
                       {"keywords", {"hours", "open"}},
                       {"priority", 9}},
                      {{"id", "rule"},
                       {"type", "rule"},
                       {"question", "Never discuss prices"},
                       {"answer", "ignored"}},
                      {{"id", "delivery"},
                       {"type", "faq"},
                       {"question", "Do you deliver to Nairobi?"},
                       {"answer", "Yes, same day."},
                       {"keywords", {"delivery"}}}});
}

json input(const std::string& text, long long generation = 1, long long threshold = 0) {
  return {
      {"tenant",
       {{"id", "t-1"}, {"generation", generation}, {"settings", {{"faq_threshold", threshold}}}}},
      {"message", {{"text", text}}}};
}

// What the plugin's hook hands the strategy: the input read as the host's text.
Question asked(const json& in) {
  return questionFrom(plugin::Input(in.dump()));
}

TEST(FaqStrategy, TheQuestionIsReadFromTheHostsInput) {
  Question q = asked(input("Mnaleta Nairobi?", 7, 60));
  EXPECT_EQ(q.tenant_id, "t-1");
  EXPECT_EQ(q.generation, 7);
  EXPECT_EQ(q.threshold_percent, 60);
  EXPECT_EQ(q.text, "Mnaleta Nairobi?");
  // A button or list reply is asked by its title.
  json button = input("");
  button["message"] = {{"type", "interactive"}, {"interactive", {{"title", "Opening hours"}}}};
  EXPECT_EQ(asked(button).text, "Opening hours");
  // Fields of the wrong type read as absent, not as a failure.
  json odd = input("hello");
  odd["tenant"]["generation"] = "7";
  odd["tenant"]["settings"] = "loose";
  odd["message"]["text"] = 42;
  Question o = asked(odd);
  EXPECT_EQ(o.generation, 0);
  EXPECT_EQ(o.threshold_percent, 0);
  EXPECT_EQ(o.text, "");
  EXPECT_FALSE(plugin::Input("[1, 2]").ok());
  EXPECT_FALSE(plugin::Input("{\"tenant\": ").ok());
  EXPECT_TRUE(plugin::Input("{}").ok());
  // A deeply nested event (a Flow's reply) is read without recursion.
  std::string deep = "{\"message\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_TRUE(plugin::Input(deep).ok());
  EXPECT_EQ(plugin::Input(deep).text({"message", "text"}), "");
}

TEST(FaqStrategy, AnswersWithTheBestEntryAndPriorityBreaksTies) {
  int loads = 0;
  FaqStrategy faq({}, [&](const std::string& id) -> std::optional<std::string> {
    ++loads;
    return id == "t-1" ? std::optional<std::string>(knowledge().dump()) : std::nullopt;
  });
  json hint;
  auto d = faq.decide(asked(input("what are your opening hourz")), hint);  // a typo
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["knowledge_entry_id"], "hours-vip");  // same score, higher priority
  EXPECT_EQ((*d)["reply"]["text"], "VIPs: any time.");
  EXPECT_GT((*d)["score"].get<double>(), 0.5);
  auto delivery = faq.decide(asked(input("Mnaleta Nairobi?")), hint);
  ASSERT_TRUE(delivery);
  EXPECT_EQ((*delivery)["knowledge_entry_id"], "delivery");
  EXPECT_FALSE(faq.decide(asked(input("Never discuss prices")), hint));  // a rule is not an answer
  EXPECT_EQ(loads, 1);  // one index for the tenant's generation

  json other = input("what are your opening hours");
  other["tenant"]["id"] = "t-2";
  EXPECT_FALSE(faq.decide(asked(other), hint));  // unknown to the host: no answer
}

TEST(FaqStrategy, ANewGenerationRebuildsTheIndex) {
  json entries = knowledge();
  int loads = 0;
  FaqStrategy faq({}, [&](const std::string&) -> std::optional<std::string> {
    ++loads;
    return entries.dump();
  });
  json hint;
  ASSERT_TRUE(faq.decide(asked(input("do you deliver to nairobi", 1)), hint));
  entries[3]["answer"] = "Yes, within 2 hours.";
  auto d = faq.decide(asked(input("do you deliver to nairobi", 2)), hint);
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["reply"]["text"], "Yes, within 2 hours.");
  EXPECT_EQ(loads, 2);
}

TEST(FaqStrategy, TheTenantsThresholdAndNearMissHints) {
  FaqStrategy faq(
      {}, [&](const std::string&) { return std::optional<std::string>(knowledge().dump()); });
  json hint;
  auto loose = faq.decide(asked(input("delivery to Mombasa tomorrow?")), hint);
  ASSERT_TRUE(loose);  // a keyword hit clears the default threshold
  hint = nullptr;
  EXPECT_FALSE(faq.decide(asked(input("delivery to Mombasa tomorrow?", 1, 95)), hint));
  ASSERT_TRUE(hint.contains("candidates"));
  EXPECT_EQ(hint["candidates"][0]["id"], "delivery");
  EXPECT_EQ(hint["candidates"][0]["answer"], "Yes, same day.");
  hint = nullptr;
  EXPECT_FALSE(faq.decide(asked(input("what is the meaning of life")), hint));
  EXPECT_TRUE(hint.is_null());
}

}  // namespace
}  // namespace baraza::faq
