// The pipeline itself with an injected clock: a limit of one reply an hour lets the first
// message of each UTC hour through and holds the rest, and the limit reply goes once per
// contact and hour. No server, no sender: events in, outbound rows counted.
#include "unit/pipeline/in_process_pipeline.h"

namespace baraza {
namespace {

class LimitsClock : public test::InProcessPipeline {
 protected:
  // 09:59:58 UTC (test::kStart): two seconds before the hour turns.
  std::string dukaSettings() const override {
    return test::InProcessPipeline::dukaSettings() +
           "  max_messages_per_hour: 1\n  limit_reply: \"Busy this hour.\"\n";
  }
  void receive(const std::string& from) {
    test::InProcessPipeline::receive(from, "habari");
    ASSERT_EQ(pipeline_->processDue(8), 1);
  }
  std::vector<std::string> replies() {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    std::vector<std::string> out;
    soci::rowset<std::string> rows =
        (tx.sql().prepare << "SELECT COALESCE(body, '') FROM messages WHERE direction = "
                             "'outbound' ORDER BY created_at");
    for (const auto& r : rows)
      out.push_back(r);
    return out;
  }
};

TEST_P(LimitsClock, TheHourRollsOverByThePipelinesClock) {
  receive("254711000001");  // 09:59:58: the hour's one reply
  receive("254711000002");  // over the limit: the limit reply, once
  receive("254711000002");  // and then silence
  EXPECT_EQ(replies(), (std::vector<std::string>{"Asante!", "Busy this hour."}));
  now_ += 2500;  // 10:00:00.5: a new hour
  receive("254711000002");
  receive("254711000003");
  EXPECT_EQ(replies(),
            (std::vector<std::string>{"Asante!", "Busy this hour.", "Asante!", "Busy this hour."}));
}

TEST_P(LimitsClock, ARetryReusesTheFirstAttemptsReservation) {
  receive("254711000001");
  // As if the process died after the first of two transactions (around an AI call): the
  // records and the reservation are committed, the reply is not.
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "DELETE FROM outbox_messages";
    tx.sql() << "DELETE FROM messages WHERE direction = 'outbound'";
    tx.sql() << "UPDATE inbox_events SET status = 'pending'";
    tx.sql() << "INSERT INTO inbox_work (event_id, order_key, next_attempt_ms) SELECT id, "
                "order_key, 0 FROM inbox_events";
    tx.commit();
  }
  ASSERT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(replies(), (std::vector<std::string>{"Asante!"}));  // not "Busy this hour."
  TenantScope tx(*db_, TenantScope::kAllTenants);
  long long used = 0;
  tx.sql() << "SELECT value FROM usage_counters WHERE scope = 'tenant' AND name = 'replies' AND "
              "period LIKE 'h:%'",
      soci::into(used);
  EXPECT_EQ(used, 1);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, LimitsClock,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
