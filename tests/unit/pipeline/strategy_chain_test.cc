// What the engine reads of a strategy's decision: a malformed field is ignored, never thrown.
#include <gtest/gtest.h>

#include "pipeline/strategy_chain.h"

namespace baraza {
namespace {

using nlohmann::json;

TEST(StrategyDecision, WellFormedFieldsAreReadAndBadOnesIgnored) {
  json good{{"reply", {{"kind", "text"}, {"text", "hi"}}},
            {"knowledge_entry_id", "k1"},
            {"score", 0.8},
            {"fallback", true},
            {"ai", {{"provider", "openai"}, {"model", "m"}, {"latency_ms", 12}}},
            {"escalate", {{"reason", "asked"}, {"priority", "urgent"}, {"source", "keyword"}}}};
  auto d = decisionFromJson("faq", good);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->knowledge_entry_id, "k1");
  EXPECT_DOUBLE_EQ(*d->score, 0.8);
  EXPECT_TRUE(d->fallback);
  EXPECT_EQ(d->ai_model, "m");
  EXPECT_EQ(d->ai["latency_ms"], 12);
  ASSERT_TRUE(d->escalate);
  EXPECT_EQ(d->escalate->priority, "urgent");
  EXPECT_EQ(d->escalate->source, "keyword");

  json bad{{"reply", {{"kind", "text"}, {"text", "hi"}}},
           {"knowledge_entry_id", 7},
           {"score", "high"},
           {"fallback", "true"},
           {"ai", "openai"},
           {"escalate", {{"priority", "whenever"}}}};
  auto lenient = decisionFromJson("x", bad);
  ASSERT_TRUE(lenient);
  EXPECT_EQ(lenient->knowledge_entry_id, "");
  EXPECT_FALSE(lenient->score);
  EXPECT_FALSE(lenient->fallback);
  EXPECT_TRUE(lenient->ai.is_null());
  ASSERT_TRUE(lenient->escalate);
  EXPECT_EQ(lenient->escalate->priority, "medium");
  EXPECT_EQ(lenient->escalate->reason, "asked by x");
  EXPECT_EQ(lenient->escalate->source, "x");

  EXPECT_FALSE(decisionFromJson("x", json{{"reply", "hi"}}));
  EXPECT_FALSE(decisionFromJson("x", json::array()));
  EXPECT_FALSE(escalationFromJson("x", json{{"escalate", true}}));
}

}  // namespace
}  // namespace baraza
