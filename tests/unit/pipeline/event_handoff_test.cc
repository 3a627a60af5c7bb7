// The mailbox between the inbox writer and the inbox workers (docs/pipeline.md, "Handoff"):
// room only while open and caught up, bounded, settled by every grant, stale events left for
// the lease keeper, and what nobody took returned at close.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/metrics.h"
#include "pipeline/event_handoff.h"

namespace baraza {
namespace {

constexpr long long kLease = 10000;

std::vector<InboundEvent> events(long long first, int n) {
  std::vector<InboundEvent> out;
  for (int i = 0; i < n; ++i) {
    InboundEvent e;
    e.inbox_id = first + i;
    out.push_back(e);
  }
  return out;
}

std::vector<long long> idsOf(const std::vector<InboundEvent>& list) {
  std::vector<long long> ids;
  for (const auto& e : list)
    ids.push_back(e.inbox_id);
  return ids;
}

class EventHandoffTest : public ::testing::Test {
 protected:
  void openIt(size_t capacity) {
    handoff_.open(
        "owner-1", [this] { return now_.load(); }, kLease, capacity);
  }
  std::atomic<long long> now_{1000000};
  EventHandoff handoff_;
};

TEST_F(EventHandoffTest, RoomOnlyWhileOpenAndCaughtUp) {
  EXPECT_EQ(handoff_.grant().room, 0u) << "closed";
  openIt(8);
  EXPECT_EQ(handoff_.grant().room, 0u) << "no claim has said the queue is caught up yet";
  handoff_.setBacklog(false);
  HandoffGrant g = handoff_.grant();
  EXPECT_EQ(g.room, 8u);
  EXPECT_EQ(g.owner, "owner-1");
  EXPECT_EQ(g.lease_until, now_ + kLease);
  handoff_.put(g, {});
  handoff_.setBacklog(true);
  EXPECT_EQ(handoff_.grant().room, 0u) << "a claim found a full batch: the backlog goes first";
}

TEST_F(EventHandoffTest, RoomIsBoundedByWhatWaitsAndWhatIsGranted) {
  openIt(8);
  handoff_.setBacklog(false);
  HandoffGrant first = handoff_.grant();
  ASSERT_EQ(first.room, 8u);
  EXPECT_EQ(handoff_.grant().room, 0u) << "all of it granted, not yet settled";
  handoff_.put(first, events(1, 3));
  EXPECT_EQ(handoff_.waiting(), 3u);
  HandoffGrant second = handoff_.grant();
  EXPECT_EQ(second.room, 5u);
  handoff_.put(second, {});  // its transaction failed: its room comes back
  EXPECT_EQ(handoff_.take(2).size(), 2u);
  HandoffGrant third = handoff_.grant();
  EXPECT_EQ(third.room, 7u);
  handoff_.put(third, events(4, 7));
  EXPECT_EQ(handoff_.grant().room, 0u);
  EXPECT_EQ(idsOf(handoff_.take(100)), (std::vector<long long>{3, 4, 5, 6, 7, 8, 9, 10}));
}

TEST_F(EventHandoffTest, AnEventWhoseLeaseIsHalfGoneIsNotTaken) {
  openIt(8);
  handoff_.setBacklog(false);
  HandoffGrant g = handoff_.grant();
  handoff_.put(g, events(1, 2));
  double stale = MetricsRegistry::global().value("baraza_inbox_handoff_stale_total", {});
  now_ += kLease / 2 - 1;
  EXPECT_EQ(handoff_.take(1).size(), 1u) << "just under half its lease gone";
  now_ += 2;
  EXPECT_TRUE(handoff_.take(1).empty()) << "over half: the lease keeper may not renew in time";
  EXPECT_EQ(MetricsRegistry::global().value("baraza_inbox_handoff_stale_total", {}), stale + 1);
  EXPECT_EQ(handoff_.waiting(), 0u);
}

TEST_F(EventHandoffTest, CloseWaitsForTheGrantInFlightAndReturnsWhatNobodyTook) {
  openIt(8);
  handoff_.setBacklog(false);
  HandoffGrant g = handoff_.grant();
  handoff_.put(g, events(1, 2));
  HandoffGrant in_flight = handoff_.grant();  // the writer's transaction, not committed yet
  ASSERT_EQ(in_flight.room, 6u);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    handoff_.put(in_flight, events(3, 1));
  });
  auto started = std::chrono::steady_clock::now();
  std::vector<long long> left = handoff_.close();
  writer.join();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(90));
  EXPECT_EQ(left, (std::vector<long long>{1, 2, 3}));
  EXPECT_TRUE(handoff_.take(8).empty());
  EXPECT_EQ(handoff_.grant().room, 0u) << "closed";
}

}  // namespace
}  // namespace baraza
