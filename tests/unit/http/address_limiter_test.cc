#include "http/address_limiter.h"

#include <gtest/gtest.h>

namespace baraza {
namespace {

TEST(AddressLimiter, ABurstThenOneRequestPerShareOfTheMinute) {
  AddressLimiter limiter(6);  // one every 10 s
  int retry = 0;
  for (int i = 0; i < 6; ++i)
    EXPECT_TRUE(limiter.allow("10.0.0.1", 1000, retry)) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1", 1000, retry));
  EXPECT_EQ(retry, 10);
  EXPECT_TRUE(limiter.allow("10.0.0.2", 1000, retry)) << "another address has its own bucket";
  EXPECT_FALSE(limiter.allow("10.0.0.1", 6000, retry));
  EXPECT_EQ(retry, 5);
  EXPECT_TRUE(limiter.allow("10.0.0.1", 11000, retry));
  EXPECT_FALSE(limiter.allow("10.0.0.1", 11000, retry));
}

TEST(AddressLimiter, AClockGoingBackGivesNothingAway) {
  AddressLimiter limiter(1);
  int retry = 0;
  EXPECT_TRUE(limiter.allow("a", 100000, retry));
  EXPECT_FALSE(limiter.allow("a", 0, retry));
  EXPECT_FALSE(limiter.allow("a", 100000, retry));
}

TEST(AddressLimiter, ManyAddressesDoNotGrowItWithoutBound) {
  AddressLimiter limiter(60);
  int retry = 0;
  for (size_t i = 0; i < 3 * AddressLimiter::kMaxAddresses; ++i)
    limiter.allow("198.51.100." + std::to_string(i), 0, retry);
  EXPECT_LE(limiter.addressesTracked(), 2 * AddressLimiter::kMaxAddresses);
  for (size_t i = 0; i < AddressLimiter::kMaxAddresses; ++i)
    limiter.allow("203.0.113." + std::to_string(i), 120000, retry);  // the others refilled
  EXPECT_LE(limiter.addressesTracked(), AddressLimiter::kMaxAddresses + 1);
}

}  // namespace
}  // namespace baraza
