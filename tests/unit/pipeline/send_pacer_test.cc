#include "pipeline/send_pacer.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "core/metrics.h"
#include "pipeline/backoff.h"

namespace baraza {
namespace {

TEST(SendPacer, ANumberGetsItsRatePerSecondAndNoMore) {
  SendPacer pacer(80, 0);
  int allowed = 0;
  for (int i = 0; i < 200; ++i)
    allowed += pacer.take("119", "2547" + std::to_string(i), 1000) == 0;
  EXPECT_EQ(allowed, 80) << "a full bucket, then empty";
  EXPECT_GT(pacer.take("119", "x", 1000), 0);
  EXPECT_EQ(pacer.take("120", "x", 1000), 0) << "another number has its own bucket";
  int later = 0;
  for (int i = 0; i < 200; ++i)
    later += pacer.take("119", "y" + std::to_string(i), 1500) == 0;
  EXPECT_EQ(later, 40) << "half a second refills half the bucket";
}

TEST(SendPacer, ARecipientWaitsItsGapWithoutHoldingOthers) {
  SendPacer pacer(0, 1000);
  EXPECT_EQ(pacer.take("119", "alice", 10000), 0);
  EXPECT_EQ(pacer.take("119", "alice", 10200), 800) << "the wait, not a refusal";
  EXPECT_EQ(pacer.take("119", "bob", 10200), 0) << "bob is not held up by alice";
  EXPECT_EQ(pacer.take("119", "alice", 11000), 0);
}

TEST(SendPacer, ASharedBudgetIsReservedAFewSendsAtATime) {
  std::vector<int> asked;
  int budget = 20;  // what the other engines left of the number's second
  SendPacer pacer(80, 0, [&](const std::string& number, int want, long long) {
    EXPECT_EQ(number, "119");
    asked.push_back(want);
    SendPacer::Grant g;
    g.granted = std::min(want, budget);
    budget -= g.granted;
    g.retry_ms = g.granted ? 0 : 40;
    return g;
  });
  int allowed = 0;
  for (int i = 0; i < 100; ++i)
    allowed += pacer.take("119", "2547" + std::to_string(i), 1000) == 0;
  EXPECT_EQ(allowed, 20) << "the shared budget, not this process's own 80";
  EXPECT_EQ(asked, (std::vector<int>{20, 20})) << "a quarter of the rate per statement";
  EXPECT_EQ(pacer.take("119", "x", 1000), 40) << "the ledger's wait";
}

TEST(SendPacer, ReservedSendsNotSpentWithinASecondAreDropped) {
  int calls = 0;
  SendPacer pacer(80, 0, [&](const std::string&, int want, long long) {
    ++calls;
    return SendPacer::Grant{want, 0};
  });
  EXPECT_EQ(pacer.take("119", "a", 1000), 0);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pacer.take("119", "b", 1999), 0);
  EXPECT_EQ(calls, 1) << "19 left, still this second";
  EXPECT_EQ(pacer.take("119", "c", 2000), 0);
  EXPECT_EQ(calls, 2) << "reserved for a second that is over: asked again";
}

TEST(SendPacer, ADatabaseThatFailsLeavesEachProcessPacingAlone) {
  SendPacer pacer(80, 0, [](const std::string&, int, long long) -> SendPacer::Grant {
    throw std::runtime_error("database unavailable");
  });
  double before = MetricsRegistry::global().value("baraza_send_pace_shared_failures_total", {});
  int allowed = 0;
  for (int i = 0; i < 200; ++i)
    allowed += pacer.take("119", "2547" + std::to_string(i), 1000) == 0;
  EXPECT_EQ(allowed, 80) << "this process's own bucket meanwhile";
  auto failures = [&] {
    return MetricsRegistry::global().value("baraza_send_pace_shared_failures_total", {}) - before;
  };
  EXPECT_EQ(failures(), 1) << "not asked again within the second";
  EXPECT_EQ(pacer.take("119", "later", 2000), 0);
  EXPECT_EQ(failures(), 2) << "asked again after it";
}

TEST(Backoff, FullJitterStaysUnderTheCeilingAndHonoursTheSuggestion) {
  for (int attempt = 1; attempt <= 10; ++attempt) {
    for (int i = 0; i < 100; ++i) {
      long long d = backoffMs(attempt, 100, 5000);
      EXPECT_GE(d, 0);
      EXPECT_LE(d, std::min<long long>(5000, 100LL << (attempt - 1)));
    }
  }
  EXPECT_GE(backoffMs(1, 100, 5000, 6000), 6000) << "Meta's suggested delay is a floor";
  long long total = 0;
  for (int i = 0; i < 1000; ++i)
    total += backoffMs(4, 100, 5000);
  EXPECT_GT(total / 1000, 250) << "spread over [0, 800]: mean near 400";
  EXPECT_LT(total / 1000, 550);
}

}  // namespace
}  // namespace baraza
