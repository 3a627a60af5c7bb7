// Stored events handed from the inbox writer to the workers, leased, instead of being claimed
// (docs/pipeline.md, "Handoff"): which events are leased at insert (one contact's events still
// run one at a time, in order), that the running pipeline answers them without a claim, and
// that a stopped pipeline gives back what its workers never took.
#include "unit/pipeline/in_process_pipeline.h"

namespace baraza {
namespace {

using nlohmann::json;
using test::kLeaseMs;

class InboxHandoff : public test::InProcessPipeline {
 protected:
  static InboxEvent message(const std::string& from, const std::string& id) {
    InboxEvent e;
    e.channel_type = "whatsapp";
    e.account_id = "5551000";
    e.dedupe_key = "message:" + id;
    e.kind = "message";
    e.order_key = "whatsapp:5551000:" + from;
    e.payload = json{{"channel", "whatsapp"}, {"kind", "message"}, {"id", id}}.dump();
    return e;
  }
  // Inserts the events in one transaction with room for `room`; returns the handed dedupe keys.
  std::vector<std::string> insert(const std::vector<InboxEvent>& events, size_t room) {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    auto handed = InboxStore::insert(tx, events, now_, {room, "owner-1", now_ + kLeaseMs});
    tx.commit();
    std::vector<std::string> keys;
    for (const auto& e : handed) {
      EXPECT_EQ(e.attempts, 1);
      EXPECT_EQ(e.received_ms, now_.load());
      EXPECT_EQ(e.kind, "message");
      keys.push_back(json::parse(e.payload)["id"]);
    }
    return keys;
  }
  long long work(const std::string& id, const std::string& where) {
    return count(
        "SELECT COUNT(*) FROM inbox_work w JOIN inbox_events e ON e.id = w.event_id WHERE "
        "e.dedupe_key = 'message:" +
        id + "' AND " + where);
  }
  void startPipeline(int workers) {
    PipelineConfig config;
    config.workers = workers;
    config.senders = 1;
    config.poll_ms = 20;
    usePipeline(config);
    pipeline_->start();
  }
  long long answered() { return count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"); }
};

TEST_P(InboxHandoff, OnlyAContactsOnlyUnfinishedEventIsLeasedAtInsert) {
  insert({message("254700000003", "c1")}, 0);  // waiting in the queue, unleased
  std::vector<std::string> handed =
      insert({message("254700000001", "a1"), message("254700000001", "a2"),
              message("254700000002", "b1"), message("254700000003", "c2")},
             10);
  EXPECT_EQ(handed, (std::vector<std::string>{"a1", "b1"}))
      << "a2 waits for a1 of the same batch, c2 for c1 stored before";
  for (const char* id : {"a1", "b1"}) {
    EXPECT_EQ(work(id,
                   "w.status = 'processing' AND w.lease_owner = 'owner-1' AND w.attempts = 1 "
                   "AND w.locked_until_ms = " +
                       std::to_string(now_ + kLeaseMs)),
              1)
        << id;
  }
  for (const char* id : {"a2", "c1", "c2"})
    EXPECT_EQ(work(id, "w.status = 'pending' AND w.lease_owner IS NULL AND w.attempts = 0"), 1)
        << id;

  EXPECT_TRUE(insert({message("254700000001", "a1")}, 10).empty()) << "a redelivery";
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_work"), 5);
  EXPECT_EQ(insert({message("254700000004", "d1"), message("254700000005", "e1")}, 1),
            (std::vector<std::string>{"d1"}))
      << "room for one";
  EXPECT_EQ(work("e1", "w.status = 'pending'"), 1);
}

TEST_P(InboxHandoff, TheRunningPipelineAnswersHandedEventsWithoutAClaimInOrder) {
  startPipeline(1);
  receive("254700000009", "habari");  // the first claim finds the queue caught up
  ASSERT_TRUE(eventually([&] { return answered() == 1; }));
  double handed = metric("baraza_inbox_handed_events_total");
  double claimed = metric("baraza_inbox_claimed_events_total");

  for (int i = 1; i <= 4; ++i)
    receive("25470000000" + std::to_string(i), "habari");
  ASSERT_TRUE(eventually([&] { return answered() == 5; }));
  EXPECT_EQ(metric("baraza_inbox_handed_events_total"), handed + 4);
  EXPECT_EQ(metric("baraza_inbox_claimed_events_total"), claimed);

  // One contact's second message, in the same webhook, waits in the queue for the first, then
  // is claimed.
  json both = json::array();
  for (const char* id : {"wamid.one", "wamid.two"}) {
    both.push_back({{"channel", "whatsapp"},
                    {"kind", "message"},
                    {"account", {{"phone_number_id", "5551000"}}},
                    {"id", id},
                    {"dedupe_key", std::string("message:") + id},
                    {"from", {{"wa_id", "254700000001"}}},
                    {"type", "text"},
                    {"text", id}});
  }
  size_t accepted = 0;
  ASSERT_EQ(inbox_->accept("whatsapp", both.dump(), accepted), 0);
  ASSERT_TRUE(eventually([&] { return answered() == 7; }));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_inbox_handed_events_total"), handed + 5);
  EXPECT_EQ(metric("baraza_inbox_claimed_events_total"), claimed + 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_work"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE attempts = 1"), 7);
  EXPECT_LT(text("SELECT CAST(created_at AS TEXT) FROM messages WHERE channel_message_id = "
                 "'wamid.one'"),
            text("SELECT CAST(created_at AS TEXT) FROM messages WHERE channel_message_id = "
                 "'wamid.two'"))
      << "recorded in the order they came";
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages"), 7);  // one reply each
}

TEST_P(InboxHandoff, AStoppedPipelineGivesBackWhatItsWorkersNeverTook) {
  startPipeline(0);  // no worker takes anything
  inbox_->handoff().setBacklog(false);
  receive("254700000001", "habari");
  receive("254700000002", "habari");
  EXPECT_EQ(inbox_->handoff().waiting(), 2u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_work WHERE status = 'processing'"), 2);
  pipeline_->stop();
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_work WHERE status = 'pending' AND attempts = 0 AND "
                  "lease_owner IS NULL"),
            2);
  EXPECT_EQ(inbox_->handoff().grant().room, 0u) << "closed with the pipeline";
  EXPECT_EQ(pipeline_->processDue(8), 2) << "claimable at once, not after a lease";
  EXPECT_EQ(answered(), 2);
}

TEST_P(InboxHandoff, EveryBatchKeepsAQuarterForTheQueue) {
  receive("254700000009", "habari");  // queued: the handoff is not open yet
  EventHandoff& handoff = inbox_->handoff();
  handoff.open(
      pipeline_->owner(), [this] { return now_.load(); }, kLeaseMs, 64);
  handoff.setBacklog(false);
  for (int i = 1; i <= 4; ++i)
    receive("25470000000" + std::to_string(i), "habari");
  ASSERT_EQ(handoff.waiting(), 4u);
  double claimed = metric("baraza_inbox_claimed_events_total");
  EXPECT_EQ(pipeline_->processDue(4), 4);
  EXPECT_EQ(metric("baraza_inbox_claimed_events_total"), claimed + 1)
      << "the queued event, beside three handed ones";
  EXPECT_EQ(handoff.waiting(), 1u);
  EXPECT_EQ(pipeline_->processDue(4), 1);
  EXPECT_TRUE(handoff.close().empty());
  EXPECT_EQ(answered(), 5);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, InboxHandoff,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
