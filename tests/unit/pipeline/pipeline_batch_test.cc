// The pipeline in process, one batch at a time (no threads): a message that fails alone in its
// batch, the order of one contact's messages, a dead process's lease taken back, and a chain
// that will not wait answering in one transaction.
#include "pipeline/usage_ledger.h"
#include "unit/pipeline/in_process_pipeline.h"

namespace baraza {
namespace {

using nlohmann::json;

using test::kLeaseMs;

class PipelineBatch : public test::InProcessPipeline {};

TEST_P(PipelineBatch, OneBadMessageFailsAloneAndItsNeighboursAreAnswered) {
  refuseInserts("messages", "NEW.body = 'boom'");
  for (int i = 1; i <= 3; ++i)
    receive("25471100000" + std::to_string(i), "habari");
  std::string bad = receive("254711000009", "boom");
  std::string after_bad = receive("254711000009", "habari tena");  // waits behind it
  double splits = metric("baraza_inbox_batch_splits_total");

  EXPECT_EQ(pipeline_->processDue(16), 4);  // one per contact: the fifth waits for its turn
  EXPECT_EQ(metric("baraza_inbox_batch_splits_total"), splits + 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 3);
  // The bad one is retried later, alone, with its error; its contact's next message waits.
  EXPECT_EQ(text("SELECT status FROM inbox_events WHERE dedupe_key = 'message:" + bad + "'"),
            "pending");
  EXPECT_EQ(count("SELECT attempts FROM inbox_events WHERE dedupe_key = 'message:" + bad + "'"), 1);
  EXPECT_NE(text("SELECT last_error FROM inbox_events WHERE dedupe_key = 'message:" + bad + "'")
                .find("refuse_messages"),
            std::string::npos);
  EXPECT_EQ(
      count("SELECT attempts FROM inbox_events WHERE dedupe_key = 'message:" + after_bad + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE body = 'habari tena'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE body = 'boom'"), 0);

  // Fixed, the retry answers it, and then its contact's next message in order.
  allowInserts("messages");
  now_ += 60000;
  EXPECT_EQ(pipeline_->processDue(16), 1);
  EXPECT_EQ(pipeline_->processDue(16), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'"), 5);
  EXPECT_LT(text("SELECT created_at FROM messages WHERE body = 'boom'"),
            text("SELECT created_at FROM messages WHERE body = 'habari tena'"));
}

TEST_P(PipelineBatch, ADeadProcesssLeaseIsTakenBackAndCounted) {
  receive("254711000001", "habari");
  // Another process claimed it and died.
  InboxStore dead(*db_, "dead-process");
  ASSERT_EQ(dead.claim(8, now_, now_ + kLeaseMs).size(), 1u);
  EXPECT_EQ(pipeline_->processDue(8), 0);

  MessageClock clock([this] { return now_.load(); });
  InboxStore inbox(*db_, pipeline_->owner());
  OutboxStore outbox(*db_, pipeline_->owner());
  LeaseKeeper keeper(inbox, outbox, clock, kLeaseMs);
  double reclaims = metric("baraza_inbox_reclaims_total");
  now_ += kLeaseMs - 1000;
  EXPECT_EQ(keeper.tick(), 0);  // not yet expired
  now_ += 1001;                 // the keeper looks once a second
  EXPECT_EQ(keeper.tick(), 1);
  EXPECT_EQ(metric("baraza_inbox_reclaims_total"), reclaims + 1);
  EXPECT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages"), 1);
  // The dead process cannot finish what is no longer its own.
  TenantScope tx(*db_, TenantScope::kAllTenants, true);
  long long id = count("SELECT id FROM inbox_events");
  EXPECT_TRUE(dead.finish(tx, {{id, "done", ""}}, now_).empty());
}

TEST_P(PipelineBatch, AChainThatWillNotWaitAnswersInOneTransaction) {
  double waits = metric("baraza_strategy_waits_total");
  receive("254711000001", "bei gani?", "5552000");  // soko: AI off
  EXPECT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(metric("baraza_strategy_waits_total"), waits);
  EXPECT_EQ(text("SELECT body FROM messages WHERE direction = 'outbound'"), "Later.");

  // mboga has AI on: its chain waits (and, the provider refusing, falls through).
  receive("254711000002", "bei gani?", "5553000");
  EXPECT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(metric("baraza_strategy_waits_total"), waits + 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'"), 2);
}

// A fold the database refuses is logged and counted; the deltas wait, still counted by readers,
// and are folded once the database takes them.
TEST_P(PipelineBatch, AUsageFoldThatFailsIsCountedAndLosesNothing) {
  receive("254711000001", "habari");
  ASSERT_EQ(pipeline_->processDue(8), 1);
  ASSERT_GT(count("SELECT COUNT(*) FROM usage_deltas"), 0);
  refuseInserts("usage_counters", "1 = 1");
  double failures = metric("baraza_usage_fold_failures_total");
  pipeline_->start();  // the upkeep thread folds at once
  for (int i = 0; i < 100 && metric("baraza_usage_fold_failures_total") == failures; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_usage_fold_failures_total"), failures + 1);
  std::string day = periodKey('d', now_), month = periodKey('m', now_);
  std::string tenant = text("SELECT id FROM tenants WHERE slug = 'duka'");
  auto inbound = [&](const std::string& period) {
    TenantScope tx(*db_, tenant);
    return usageValue(tx, tenant, "tenant", period, "inbound");
  };
  EXPECT_EQ(inbound(day), 1);
  EXPECT_EQ(inbound(month), 1);
  allowInserts("usage_counters");
  foldUsage(*db_);
  EXPECT_EQ(count("SELECT COUNT(*) FROM usage_deltas"), 0);
  EXPECT_EQ(inbound(day), 1);
  EXPECT_EQ(inbound(month), 1);
}

// After a batch that emptied the queue its worker pauses (pipeline.batch_linger_ms), so the
// messages that arrive meanwhile are claimed together: one transaction for them, not one each.
TEST_P(PipelineBatch, AWorkerPausesAfterAPartialBatchSoItsNextIsFuller) {
  PipelineConfig config;
  config.workers = 1;
  config.senders = 0;
  config.batch_linger_ms = 1000;
  usePipeline(config);
  double claims = metric("baraza_inbox_claims_total");
  double claimed = metric("baraza_inbox_claimed_events_total");
  auto replies = [&] {
    return count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'");
  };
  pipeline_->start();
  receive("254711000001", "habari");
  ASSERT_TRUE(eventually([&] { return replies() == 1; }));
  for (int i = 2; i <= 6; ++i) {  // one by one: an idle worker would take each as it came
    receive("25471100000" + std::to_string(i), "habari");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(eventually([&] { return replies() == 6; }));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_inbox_claims_total"), claims + 2)
      << "the first message alone, then the five that came while its worker paused";
  EXPECT_EQ(metric("baraza_inbox_claimed_events_total"), claimed + 6);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, PipelineBatch,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
