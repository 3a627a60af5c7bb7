#include "http/connection_cap.h"

#include <gtest/gtest.h>

namespace baraza {
namespace {

TEST(ConnectionCap, AnAddressOverItsCapIsRefusedOthersAreNot) {
  ConnectionCap cap(2);
  EXPECT_TRUE(cap.open("10.0.0.1"));
  EXPECT_TRUE(cap.open("10.0.0.1"));
  EXPECT_FALSE(cap.open("10.0.0.1"));
  EXPECT_TRUE(cap.open("10.0.0.2"));
  EXPECT_EQ(cap.openFrom("10.0.0.1"), 3);
}

TEST(ConnectionCap, ClosingARefusedConnectionAndAnAdmittedOneFreesASlot) {
  ConnectionCap cap(1);
  EXPECT_TRUE(cap.open("a"));
  EXPECT_FALSE(cap.open("a"));
  cap.close("a");  // the refused one
  EXPECT_FALSE(cap.open("a")) << "the first connection is still open";
  cap.close("a");
  cap.close("a");
  EXPECT_EQ(cap.openFrom("a"), 0);
  EXPECT_TRUE(cap.open("a"));
  cap.close("a");
  cap.close("a");  // a stray close never goes below zero
  EXPECT_TRUE(cap.open("a"));
}

TEST(ConnectionCap, ZeroMeansNoCap) {
  ConnectionCap cap(0);
  for (int i = 0; i < 1000; ++i)
    EXPECT_TRUE(cap.open("a"));
}

}  // namespace
}  // namespace baraza
