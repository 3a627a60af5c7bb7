// Sends handed from an inbox worker to the outbox dispatcher after its commit, instead of being
// claimed (docs/pipeline.md, "Handed over, not claimed"): the room the dispatcher gives, the
// room a batch that did not commit gives back, and a handed send going out once, unclaimed.
#include <thread>

#include "unit/pipeline/in_process_pipeline.h"

namespace baraza {
namespace {

using test::kLeaseMs;

class OutboxHandoff : public test::InProcessPipeline {
 protected:
  // A dispatcher of its own, on the fixture's clock and database, with `senders` threads.
  struct Dispatcher {
    Dispatcher(OutboxHandoff& t, int senders)
        : clock([&t] { return t.now_.load(); }),
          inbox(*t.db_, "handoff-test"),
          outbox(*t.db_, "handoff-test"),
          keeper(inbox, outbox, clock, kLeaseMs),
          config([senders] {
            PipelineConfig c;
            c.senders = senders;
            c.batch_size = 4;  // room for 8 x senders (two batches would be less)
            c.poll_ms = 20;
            return c;
          }()),
          dispatcher(outbox, keeper, *t.sealer_, *t.directory_, t.plugins_, config, clock) {}
    MessageClock clock;
    InboxStore inbox;
    OutboxStore outbox;
    LeaseKeeper keeper;
    PipelineConfig config;
    OutboxDispatcher dispatcher;
  };

  // Whether a reservation of `n` is granted whole now; a granted one is given back at once.
  static bool grants(OutboxDispatcher& d, size_t n) {
    size_t got = d.reserve(n);
    d.adopt({}, got);
    return got == n;
  }
  // One worker, `senders` senders, batches of `batch` (room for 8 x senders or two batches,
  // whichever is more), waits for room of up to `room_wait_ms`.
  static PipelineConfig oneWorker(int senders, int batch = 4, int room_wait_ms = 20) {
    PipelineConfig config;
    config.workers = 1;
    config.senders = senders;
    config.batch_size = batch;
    config.poll_ms = 20;
    config.room_wait_ms = room_wait_ms;
    return config;
  }
  // The fixture's pipeline with its threads.
  void startPipeline(int senders, int batch = 4, int room_wait_ms = 20) {
    usePipeline(oneWorker(senders, batch, room_wait_ms));
    pipeline_->start();
  }
  // `n` messages from new contacts queued before the pipeline starts, so that its worker
  // claims them in full batches.
  void queueThenStart(const PipelineConfig& config, int n) {
    usePipeline(config);
    for (int i = 0; i < n; ++i)
      receive("25471100" + std::to_string(1000 + i), "habari");
    pipeline_->start();
  }
  long long sent() { return count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent'"); }
  long long done() { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"); }
  static double roomWaits(const std::string& outcome) {
    return MetricsRegistry::global().value("baraza_outbox_room_waits_total",
                                           {{"outcome", outcome}});
  }
  // Every Graph call answers after `delay`.
  void slowGraph(std::chrono::milliseconds delay) {
    graph_.respond([this, delay](const test::RecordedRequest&) {
      test::MockAnswer slow{
          200, R"({"messages":[{"id":"wamid.OUT-)" + std::to_string(++graph_sends_) + R"("}]})"};
      slow.delay = delay;
      return slow;
    });
  }
  // Answers one message through the running pipeline and waits for its reply to go out: after
  // it the dispatcher has looked for due sends at least once.
  void warmUp(const std::string& from) {
    long long before = sent();
    receive(from, "habari");
    ASSERT_TRUE(eventually([&] { return sent() == before + 1; }));
  }
};

TEST_P(OutboxHandoff, TheDispatcherGivesRoomOnlyWhileRunningAndCaughtUp) {
  // Five replies queued due by a pipeline that sends nothing itself.
  PipelineConfig quiet;
  quiet.senders = 0;
  usePipeline(quiet);
  for (int i = 1; i <= 5; ++i)
    receive("25471100000" + std::to_string(i), "habari");
  ASSERT_EQ(pipeline_->processDue(8), 5);
  ASSERT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'pending'"), 5);
  graph_.respond([this](const test::RecordedRequest&) {
    test::MockAnswer slow{
        200, R"({"messages":[{"id":"wamid.OUT-)" + std::to_string(++graph_sends_) + R"("}]})"};
    slow.delay = std::chrono::milliseconds(1000);
    return slow;
  });

  Dispatcher d(*this, 2);  // claims up to 4 at a time, while under 16 queued or in flight
  EXPECT_EQ(d.dispatcher.reserve(4), 0u) << "stopped";
  d.dispatcher.start();
  // Four claimed, then the fifth while the first are still at the channel: room is granted only
  // once nothing is due, so the older sends go first.
  ASSERT_TRUE(eventually([&] { return grants(d.dispatcher, 1); }));
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'pending'"), 0);
  EXPECT_LT(sent(), 5) << "claimed while the room lasts, not once the sends are done";
  ASSERT_TRUE(eventually([&] { return sent() == 5; }));

  // Room for 8 x senders, queued or in flight.
  ASSERT_TRUE(eventually([&] { return grants(d.dispatcher, 16); }));
  EXPECT_EQ(d.dispatcher.reserve(10), 10u);
  EXPECT_EQ(d.dispatcher.reserve(10), 6u);
  EXPECT_EQ(d.dispatcher.reserve(1), 0u);
  // Two batches that did not commit give their room back.
  d.dispatcher.adopt({}, 10);
  d.dispatcher.adopt({}, 6);
  EXPECT_TRUE(eventually([&] { return grants(d.dispatcher, 16); }));
  d.dispatcher.stop();
  EXPECT_EQ(d.dispatcher.reserve(1), 0u) << "stopped again";
}

TEST_P(OutboxHandoff, AHandedSendGoesOutOnceWithOneAttemptAndNoClaim) {
  startPipeline(2);
  warmUp("254711000009");
  double handed = metric("baraza_outbox_handed_sends_total");
  double claimed = metric("baraza_outbox_claimed_sends_total");
  size_t calls = graph_.requests().size();

  for (int i = 1; i <= 3; ++i)
    receive("25471100000" + std::to_string(i), "habari");
  ASSERT_TRUE(eventually([&] { return sent() == 4; }));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_outbox_handed_sends_total"), handed + 3);
  EXPECT_EQ(metric("baraza_outbox_claimed_sends_total"), claimed);
  EXPECT_EQ(graph_.requests().size(), calls + 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE status = 'sent' AND attempts = 1 "
                  "AND lease_owner IS NULL"),
            4);
}

// A batch whose transaction fails gives back the room it reserved: had it kept it, the
// dispatcher (room for 8 with one sender) would take no more sends, handed or claimed.
TEST_P(OutboxHandoff, ABatchThatDoesNotCommitGivesItsRoomBack) {
  startPipeline(1);
  warmUp("254711000090");
  refuseInserts("outbox_messages", "1 = 1");
  for (int i = 1; i <= 9; ++i)
    receive("25471100000" + std::to_string(i), "habari");
  ASSERT_TRUE(eventually([&] {
    return count(
               "SELECT COUNT(*) FROM inbox_events WHERE attempts >= 1 AND status = "
               "'pending'") == 9;
  }));
  allowInserts("outbox_messages");
  warmUp("254711000091");  // after it the dispatcher has nothing due of its own
  double handed = metric("baraza_outbox_handed_sends_total");
  double claimed = metric("baraza_outbox_claimed_sends_total");

  now_ += 60000;  // the nine are due again
  ASSERT_TRUE(eventually([&] { return sent() == 11; }));
  pipeline_->stop();
  double handed_now = metric("baraza_outbox_handed_sends_total") - handed;
  EXPECT_GT(handed_now, 0) << "the failed batches' room came back";
  EXPECT_EQ(handed_now + metric("baraza_outbox_claimed_sends_total") - claimed, 9);
  EXPECT_EQ(graph_.requests().size(), 11u);
}

// Room reserved ahead of a batch: at most half the room, waited for up to a bound, and none
// from a dispatcher that is not running.
TEST_P(OutboxHandoff, RoomIsReservedAheadOnceThereIsHalfOfIt) {
  Dispatcher d(*this, 1);  // room for 8
  EXPECT_EQ(d.dispatcher.reserveAhead(4, std::chrono::milliseconds(5000)), 0u) << "not started";
  d.dispatcher.start();
  ASSERT_TRUE(eventually([&] { return grants(d.dispatcher, 1); }));  // its first look is done
  double timed_out = roomWaits("timed_out"), waited = roomWaits("room");

  EXPECT_EQ(d.dispatcher.reserveAhead(64, std::chrono::milliseconds(10)), 4u) << "half the room";
  EXPECT_EQ(d.dispatcher.reserve(4), 4u);
  EXPECT_EQ(roomWaits("timed_out") + roomWaits("room"), timed_out + waited) << "no wait yet";
  EXPECT_EQ(d.dispatcher.reserveAhead(4, std::chrono::milliseconds(30)), 0u) << "full";
  EXPECT_EQ(roomWaits("timed_out"), timed_out + 1);
  EXPECT_EQ(d.dispatcher.reserveAhead(4, std::chrono::milliseconds(0)), 0u) << "room_wait_ms: 0";
  EXPECT_EQ(roomWaits("timed_out"), timed_out + 1) << "not waiting is not a wait";

  std::thread give_back([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    d.dispatcher.adopt({}, 4);  // a batch that used none of its room
  });
  auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(d.dispatcher.reserveAhead(4, std::chrono::milliseconds(5000)), 4u);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(4000));
  give_back.join();
  EXPECT_EQ(roomWaits("room"), waited + 1);
  d.dispatcher.adopt({}, 8);
  d.dispatcher.stop();
  EXPECT_EQ(d.dispatcher.reserveAhead(4, std::chrono::milliseconds(5000)), 0u) << "stopped";
}

// A worker that answers faster than the one sender sends waits for room before each claim, so
// every reply is handed over and none queued due for a claim (a second write of its row).
TEST_P(OutboxHandoff, AWorkerAheadOfItsSendersWaitsAndHandsEveryReply) {
  slowGraph(std::chrono::milliseconds(50));
  double handed = metric("baraza_outbox_handed_sends_total");
  double claimed = metric("baraza_outbox_claimed_sends_total");
  double waited = roomWaits("room"), timed_out = roomWaits("timed_out");
  // Room for 16, batches of 8, waits of up to 5 s (room for 8 comes back after ~0.4 s).
  queueThenStart(oneWorker(1, 8, 5000), 40);
  ASSERT_TRUE(eventually([&] { return sent() == 40; }));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_outbox_handed_sends_total"), handed + 40);
  EXPECT_EQ(metric("baraza_outbox_claimed_sends_total"), claimed);
  EXPECT_GT(roomWaits("room"), waited) << "40 replies do not fit in room for 16 at once";
  EXPECT_EQ(roomWaits("timed_out"), timed_out);
  EXPECT_EQ(graph_.requests().size(), 40u);
}

// Room reserved ahead of a batch is checked again when the batch uses it: if a reply went in
// due meanwhile (another batch found no room), none of this batch's sends is handed over, so
// the older reply still goes first.
TEST_P(OutboxHandoff, ARoomReservedAheadHandsNothingOnceAReplyWaitsForAClaim) {
  Dispatcher d(*this, 1);  // room for 8
  d.dispatcher.start();
  ASSERT_TRUE(eventually([&] { return grants(d.dispatcher, 1); }));

  size_t reserved = d.dispatcher.reserveAhead(4, std::chrono::milliseconds(10));
  ASSERT_EQ(reserved, 4u);
  EXPECT_EQ(d.dispatcher.reserveFor(6, reserved), 6u) << "topped up from the room";
  EXPECT_EQ(reserved, 6u);
  d.dispatcher.adopt({}, reserved);

  reserved = d.dispatcher.reserveAhead(4, std::chrono::milliseconds(10));
  ASSERT_EQ(reserved, 4u);
  size_t other = d.dispatcher.reserve(6);  // another batch: 4 fit, 2 go in due
  EXPECT_EQ(other, 4u);
  EXPECT_EQ(d.dispatcher.reserveFor(4, reserved), 0u) << "a reply went in due since";
  EXPECT_EQ(reserved, 4u) << "given back whole by its adopt";
  d.dispatcher.adopt({}, reserved);
  d.dispatcher.adopt({}, other);
  EXPECT_TRUE(eventually([&] { return grants(d.dispatcher, 8); })) << "once claimed, room again";
  d.dispatcher.stop();
}

// The wait is bounded: a channel that answers slowly slows the sends, not the recording of the
// messages. What did not fit goes in due and is claimed; each reply goes out once.
TEST_P(OutboxHandoff, ASlowChannelSlowsTheSendsNotTheMessages) {
  startPipeline(1);  // room for 8, batches of 4, waits of up to 20 ms
  warmUp("254711000099");
  slowGraph(std::chrono::milliseconds(250));
  double timed_out = roomWaits("timed_out");

  for (int i = 10; i < 26; ++i)
    receive("2547110000" + std::to_string(i), "habari");
  ASSERT_TRUE(eventually([&] { return done() == 17; }));
  EXPECT_LT(sent(), 17) << "recorded while the sends are still going (16 x 250 ms)";
  EXPECT_GT(roomWaits("timed_out"), timed_out);
  ASSERT_TRUE(eventually([&] { return sent() == 17; }));
  pipeline_->stop();
  EXPECT_EQ(graph_.requests().size(), 17u);
}

// A worker waiting for the senders' room does not hold up the pipeline's stop: its wait ends.
TEST_P(OutboxHandoff, AStopEndsAWorkersWaitForRoom) {
  slowGraph(std::chrono::milliseconds(2000));  // room for a batch again only after ~16 s
  // Room for 16, batches of 8, waits of up to 30 s: two batches fill the room, the third waits.
  queueThenStart(oneWorker(1, 8, 30000), 40);
  ASSERT_TRUE(eventually([&] { return done() == 16; }));
  double waited = roomWaits("room"), timed_out = roomWaits("timed_out");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto before = std::chrono::steady_clock::now();
  pipeline_->stop();  // the one send at the channel finishes first (up to 2 s)
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(8));
  EXPECT_EQ(roomWaits("room"), waited) << "an ended wait is not a wait that found room";
  EXPECT_EQ(roomWaits("timed_out"), timed_out + 1);
  EXPECT_EQ(done(), 16) << "no batch claimed after the stop began";
}

// Sends handed over may fill more than the senders' share of claims; a send that is due (a
// retry, an escalation notice, a reply that did not fit) is still claimed while room lasts.
TEST_P(OutboxHandoff, ADueSendIsClaimedWhileHandedSendsAreInFlight) {
  PipelineConfig quiet;
  quiet.senders = 0;
  usePipeline(quiet);      // queues replies due: its own dispatcher never runs
  Dispatcher d(*this, 1);  // claims up to 2 at a time, while under 8 queued or in flight
  d.dispatcher.start();
  ASSERT_TRUE(eventually([&] { return grants(d.dispatcher, 1); }));
  size_t handed = d.dispatcher.reserve(4);  // as if 4 handed sends were at the channel
  ASSERT_EQ(handed, 4u);

  receive("254711000001", "habari");
  ASSERT_EQ(pipeline_->processDue(8), 1);
  d.dispatcher.wake();
  EXPECT_TRUE(eventually([&] { return sent() == 1; }));
  d.dispatcher.adopt({}, handed);
  d.dispatcher.stop();
}

// A send that was not handed over is claimed, and the claim brings its conversation's 24-hour
// window with it (the send checks it before going); a send with no conversation gets none.
TEST_P(OutboxHandoff, AClaimedSendCarriesItsConversationsWindow) {
  PipelineConfig quiet;
  quiet.senders = 0;
  usePipeline(quiet);
  receive("254711000001", "habari");
  ASSERT_EQ(pipeline_->processDue(8), 1);
  std::string window = text("SELECT CAST(window_expires_at AS TEXT) FROM conversations");
  ASSERT_FALSE(window.empty());
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO outbox_messages (tenant_id, id, message_id, channel_account_id, "
                "recipient, request, next_attempt_ms, created_ms) SELECT tenant_id, "
                "'00000000-0000-4000-8000-0000000000f1', '00000000-0000-4000-8000-0000000000f2', "
                "channel_account_id, recipient, request, 0, 0 FROM outbox_messages";
    tx.commit();
  }
  OutboxStore outbox(*db_, "claim-test");
  long long later = now_.load() + 60000;
  auto sends = outbox.claim(8, later, later + kLeaseMs);
  ASSERT_EQ(sends.size(), 2u);
  for (const auto& s : sends) {
    if (s.id == "00000000-0000-4000-8000-0000000000f1")
      EXPECT_EQ(s.window_expires_at, "") << "its message is in no conversation";
    else
      EXPECT_EQ(s.window_expires_at, window);
  }
}

INSTANTIATE_TEST_SUITE_P(BothDialects, OutboxHandoff,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
