#include "pipeline/send_pacer.h"

#include <gtest/gtest.h>

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
