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

TEST(FaqStrategy, AnswersWithTheBestEntryAndPriorityBreaksTies) {
  int loads = 0;
  FaqStrategy faq({}, [&](const std::string& id) -> std::optional<std::string> {
    ++loads;
    return id == "t-1" ? std::optional<std::string>(knowledge().dump()) : std::nullopt;
  });
  json hint;
  auto d = faq.decide(input("what are your opening hourz"), hint);  // a typo
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["knowledge_entry_id"], "hours-vip");  // same score, higher priority
  EXPECT_EQ((*d)["reply"]["text"], "VIPs: any time.");
  EXPECT_GT((*d)["score"].get<double>(), 0.5);
  auto delivery = faq.decide(input("Mnaleta Nairobi?"), hint);
  ASSERT_TRUE(delivery);
  EXPECT_EQ((*delivery)["knowledge_entry_id"], "delivery");
  EXPECT_FALSE(faq.decide(input("Never discuss prices"), hint));  // a rule is not an answer
  EXPECT_EQ(loads, 1);  // one index for the tenant's generation

  json other = input("what are your opening hours");
  other["tenant"]["id"] = "t-2";
  EXPECT_FALSE(faq.decide(other, hint));  // unknown to the host: no answer
}

TEST(FaqStrategy, ANewGenerationRebuildsTheIndex) {
  json entries = knowledge();
  int loads = 0;
  FaqStrategy faq({}, [&](const std::string&) -> std::optional<std::string> {
    ++loads;
    return entries.dump();
  });
  json hint;
  ASSERT_TRUE(faq.decide(input("do you deliver to nairobi", 1), hint));
  entries[3]["answer"] = "Yes, within 2 hours.";
  auto d = faq.decide(input("do you deliver to nairobi", 2), hint);
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["reply"]["text"], "Yes, within 2 hours.");
  EXPECT_EQ(loads, 2);
}

TEST(FaqStrategy, TheTenantsThresholdAndNearMissHints) {
  FaqStrategy faq(
      {}, [&](const std::string&) { return std::optional<std::string>(knowledge().dump()); });
  json hint;
  auto loose = faq.decide(input("delivery to Mombasa tomorrow?"), hint);
  ASSERT_TRUE(loose);  // a keyword hit clears the default threshold
  hint = nullptr;
  EXPECT_FALSE(faq.decide(input("delivery to Mombasa tomorrow?", 1, 95), hint));
  ASSERT_TRUE(hint.contains("candidates"));
  EXPECT_EQ(hint["candidates"][0]["id"], "delivery");
  EXPECT_EQ(hint["candidates"][0]["answer"], "Yes, same day.");
  hint = nullptr;
  EXPECT_FALSE(faq.decide(input("what is the meaning of life"), hint));
  EXPECT_TRUE(hint.is_null());
}

}  // namespace
}  // namespace baraza::faq
