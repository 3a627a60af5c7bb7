// Which Meta app may deliver for which number (pipeline/message_steps.h, appMayDeliver).
#include <gtest/gtest.h>

#include "pipeline/message_steps.h"

namespace baraza {
namespace {

InboundEvent signedBy(const std::string& app, bool app_default, const std::string& number) {
  InboundEvent e;
  e.app = app;
  e.app_default = app_default;
  e.account_id = number;
  return e;
}

CachedChannel channel(const std::string& number, const std::string& app) {
  CachedChannel c;
  c.phone_number_id = number;
  c.app = app;
  return c;
}

TEST(AppCheck, ANumberNamingAnAppTakesThatAppsEventsOnly) {
  CachedChannel partner = channel("111", "partner");
  MessageWork right(signedBy("partner", false, "111"));
  right.account = &partner;
  EXPECT_TRUE(appMayDeliver(right));
  MessageWork wrong(signedBy("default", true, "111"));
  wrong.account = &partner;
  EXPECT_FALSE(appMayDeliver(wrong));
}

TEST(AppCheck, ANumberNamingNoAppTakesTheBarePathsAppOnly) {
  CachedChannel plain = channel("111", "");
  MessageWork bare(signedBy("default", true, "111"));
  bare.account = &plain;
  EXPECT_TRUE(appMayDeliver(bare));
  MessageWork other(signedBy("partner", false, "111"));
  other.account = &plain;
  EXPECT_FALSE(appMayDeliver(other));
}

// Routed by display number or to the default tenant, the account is the tenant's first: its
// app says nothing about a number the event names.
TEST(AppCheck, AnEventForAnotherNumberDoesNotBorrowTheFirstChannelsApp) {
  CachedChannel partner = channel("111", "partner");
  MessageWork routed(signedBy("partner", false, "999"));
  routed.account = &partner;
  EXPECT_FALSE(appMayDeliver(routed));
  MessageWork none(signedBy("partner", false, "999"));
  EXPECT_FALSE(appMayDeliver(none));
  MessageWork bare(signedBy("default", true, "999"));
  EXPECT_TRUE(appMayDeliver(bare));
}

TEST(AppCheck, EventsWithoutTheMarkAreNotChecked) {
  CachedChannel partner = channel("111", "partner");
  InboundEvent simulated;
  simulated.app = "simulate";
  simulated.account_id = "111";
  MessageWork w(simulated);
  w.account = &partner;
  EXPECT_TRUE(appMayDeliver(w));
}

}  // namespace
}  // namespace baraza
