// The escalation strategy's triggers: keywords (whole words, the tenant's own list first) and
// repeated unanswered questions.
#include <gtest/gtest.h>

#include "escalation.h"

namespace baraza::escalation {
namespace {

using nlohmann::json;

json input(const std::string& text, json settings = json::object(), long long streak = 0) {
  if (!settings.contains("escalation_after_unanswered"))
    settings["escalation_after_unanswered"] = 3;
  return {{"tenant", {{"settings", settings}}},
          {"message", {{"text", text}}},
          {"conversation", {{"unanswered_streak", streak}}}};
}

TEST(Escalation, AskingForAPersonEscalatesWithHighPriority) {
  auto config = defaultConfig();
  for (const char* text : {"I want to talk to an AGENT!", "human please", "Nataka mtu",
                           "can I speak to customer   care?", "a real person, now"}) {
    auto d = decide(config, input(text));
    ASSERT_TRUE(d) << text;
    EXPECT_EQ((*d)["escalate"]["source"], "keyword") << text;
    EXPECT_EQ((*d)["escalate"]["priority"], "high");
    EXPECT_EQ((*d)["reply"]["text"], config.reply);
  }
  for (const char* text : {"agents of change", "humanity", "my personal order", "mtumba"})
    EXPECT_FALSE(decide(config, input(text))) << text;
}

TEST(Escalation, TheTenantsKeywordsAndReplyWin) {
  json settings{{"escalation_keywords", "Manager, Owner"},
                {"escalation_reply", "Mama will call you."}};
  auto d = decide(defaultConfig(), input("where is the owner", settings));
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["reply"]["text"], "Mama will call you.");
  EXPECT_NE((*d)["escalate"]["reason"].get<std::string>().find("owner"), std::string::npos);
  EXPECT_FALSE(decide(defaultConfig(), input("I want a human", settings)));
}

TEST(Escalation, UnansweredQuestionsEscalate) {
  EXPECT_FALSE(decide(defaultConfig(), input("hello", {}, 2)));
  auto repeated = decide(defaultConfig(), input("hello??", {}, 3));
  ASSERT_TRUE(repeated);
  EXPECT_EQ((*repeated)["escalate"]["source"], "unanswered");
  EXPECT_EQ((*repeated)["escalate"]["priority"], "medium");
  EXPECT_FALSE(decide(defaultConfig(), input("hello??", {{"escalation_after_unanswered", 0}}, 9)));
}

TEST(Escalation, KeywordListsAreTrimmedAndLowerCased) {
  EXPECT_EQ(keywordList(" Agent ,,Customer  Care, "),
            (std::vector<std::string>{"agent", "customer care"}));
  EXPECT_EQ(keywordIn("Talk to CUSTOMER-care", {"customer care"}), "customer care");
}

}  // namespace
}  // namespace baraza::escalation
