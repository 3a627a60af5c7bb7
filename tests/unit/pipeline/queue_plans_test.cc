// The queue's statements stay cheap on a queue that grew after they were first run: PostgreSQL
// caches a prepared statement's plan, and a plan made while the queue was empty (a fresh
// database, a quiet night) once walked the whole queue at every claim. The same for the
// statements that record a batch's outcome by key (a send's result, a finished event), which
// are prepared once: their cached plans must still look each row up once the tables have grown.
#include <gtest/gtest.h>

#include "pipeline/inbox_store.h"
#include "pipeline/outbox_store.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

constexpr long long kNow = 1795427998000LL;

class QueuePlans : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(Dialect::kPostgresql);
    // One connection: the statements' plans, and the statistics read below, are that session's.
    db_ = std::make_unique<Database>(target_->url(), 1, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(Dialect::kPostgresql)).apply();
  }
  void run(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << sql;
    tx.commit();
  }
  // Index entries and rows read from `table` so far, this session's included.
  long long reads(const std::string& table = "inbox_work") {
    run("SELECT pg_stat_force_next_flush()");
    run("SELECT 1");  // the session's counts are flushed once it is idle after the call
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << "SELECT COALESCE((SELECT SUM(idx_tup_read) FROM pg_stat_user_indexes WHERE "
                "relname = '" +
                    table +
                    "'), 0) + COALESCE((SELECT seq_tup_read FROM "
                    "pg_stat_user_tables WHERE relname = '" +
                    table + "'), 0)",
        soci::into(n);
    return n;
  }
  void analyze(const std::string& tables) {
    auto lease = db_->lease();
    Database::execScript(**lease, Dialect::kPostgresql, "VACUUM ANALYZE " + tables);
  }
  // `count` outbound replies of one tenant, each with its outbox row, numbered from `first`.
  void replies(int count, int first) {
    run("INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
        "message_type, status) SELECT '" +
        std::string(kTenant) + "', " + id("m") + ", " + id("c") + ", " + id("k") +
        ", 'outbound', 'text', 'queued' FROM generate_series(" + std::to_string(first) + ", " +
        std::to_string(first + count - 1) + ") AS n");
    run("INSERT INTO outbox_messages (tenant_id, id, message_id, channel_account_id, recipient, "
        "request, status, next_attempt_ms, created_ms) SELECT '" +
        std::string(kTenant) + "', " + id("o") + ", " + id("m") + ", " + id("a") +
        ", '254700000001', '{}', 'sending', 0, 0 "
        "FROM generate_series(" +
        std::to_string(first) + ", " + std::to_string(first + count - 1) + ") AS n");
  }
  // A uuid for number n of a kind ("m" message, "o" outbox row, ...), in SQL.
  static std::string id(const std::string& kind) {
    return "CAST(md5('" + kind + "' || n) AS uuid)";
  }
  // The results of sends first .. first + count - 1, all sent.
  std::vector<SendResult> sent(int count, int first) {
    std::vector<SendResult> results;
    for (int n = first; n < first + count; ++n) {
      TenantScope tx(*db_, TenantScope::kAllTenants);
      ClaimedSend send;
      send.tenant_id = kTenant;
      tx.sql() << "SELECT CAST(CAST(md5('o' || " + std::to_string(n) +
                      ") AS uuid) AS TEXT), CAST(CAST(md5('m' || " + std::to_string(n) +
                      ") AS uuid) AS TEXT)",
          soci::into(send.id), soci::into(send.message_id);
      SendResult r(send, SendResult::Kind::kSent);
      r.channel_id = "wamid.out-" + std::to_string(n);
      r.account_number = "254711000001";
      results.push_back(r);
    }
    return results;
  }
  static constexpr const char* kTenant = "5b1c1d34-0000-4000-8000-000000000001";
  void queue(int events, int first) {
    std::vector<InboxEvent> batch;
    for (int i = first; i < first + events; ++i) {
      InboxEvent e;
      e.channel_type = "whatsapp";
      e.account_id = "119";
      e.kind = "message";
      e.dedupe_key = "message:w" + std::to_string(i);
      e.order_key = "whatsapp:119:" + std::to_string(i % 2000);  // 2,000 contacts
      e.payload = "{}";
      batch.push_back(e);
    }
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    InboxStore::insert(tx, batch, kNow);
    tx.commit();
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
};

TEST_F(QueuePlans, AClaimOnAQueueThatGrewReadsAboutWhatItTakes) {
  InboxStore store(*db_, "owner-a");
  // A quiet queue, with its statistics taken (the table upkeep or autovacuum does), then claims
  // and renewals on it, more than the five runs after which PostgreSQL keeps a generic plan.
  queue(3, 100000);
  for (const auto& e : store.claim(64, kNow, kNow + 10000))
    run("DELETE FROM inbox_work WHERE event_id = " + std::to_string(e.inbox_id));
  {
    auto lease = db_->lease();
    Database::execScript(**lease, Dialect::kPostgresql, "VACUUM ANALYZE inbox_work");
  }
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(store.claim(64, kNow, kNow + 10000).empty());
    store.renew({1, 2}, kNow + 10000);
  }
  queue(6000, 0);  // three events for each of 2,000 contacts
  long long before = reads();
  auto claimed = store.claim(64, kNow, kNow + 10000);
  long long claim = reads() - before;
  // The cached plan joined the picked ids to every row of the queue and ran the locking LIMIT
  // again for each: it took 2,000 events (one per contact) in 35 s.
  ASSERT_EQ(claimed.size(), 64u) << "a claim took more than its batch";
  // 64 due rows, each contact's first unfinished id, the 64 rows updated: a few hundred entries,
  // not the 6,000-row queue.
  EXPECT_LT(claim, 2000) << "a claim of 64 events read " << claim << " entries";

  std::vector<long long> held;
  for (const auto& e : claimed)
    held.push_back(e.inbox_id);
  before = reads();
  EXPECT_EQ(store.renew(held, kNow + 20000).size(), held.size());
  long long renew = reads() - before;
  EXPECT_LT(renew, 2000) << "renewing 64 leases read " << renew << " entries";
}

TEST_F(QueuePlans, ASentBatchOnTablesThatGrewReadsItsOwnRows) {
  OutboxStore store(*db_, "owner-a");
  // A quiet start: a few replies, their statistics taken, their results recorded more often
  // than the five runs after which PostgreSQL keeps a generic plan.
  replies(4, 1000000);
  analyze("messages, outbox_messages");
  for (int i = 0; i < 8; ++i)
    store.record(sent(4, 1000000), kNow, "2026-11-23 10:00:00");
  replies(20000, 0);
  auto results = sent(16, 5000);
  long long messages = reads("messages"), outbox = reads("outbox_messages");
  store.record(results, kNow, "2026-11-23 10:00:01");
  messages = reads("messages") - messages;
  outbox = reads("outbox_messages") - outbox;
  // 16 rows looked up by key in each table, not the 20,000 the plan could have walked.
  EXPECT_LT(messages, 500) << "recording 16 sends read " << messages << " messages entries";
  EXPECT_LT(outbox, 500) << "recording 16 sends read " << outbox << " outbox entries";
  TenantScope tx(*db_, TenantScope::kAllTenants);
  int marked = 0;
  tx.sql() << "SELECT COUNT(*) FROM messages WHERE status = 'sent' AND channel_message_id LIKE "
              "'wamid.out-50%'",
      soci::into(marked);
  EXPECT_EQ(marked, 16) << "the recorded sends' messages";
}

TEST_F(QueuePlans, AFinishOnAnInboxThatGrewReadsItsOwnEvents) {
  InboxStore store(*db_, "owner-a");
  auto finishAll = [&](const std::vector<InboundEvent>& events) {
    std::vector<FinishedEvent> done;
    for (const auto& e : events)
      done.push_back({e.inbox_id, "done", "acme"});
    // As an inbox worker's transaction (InboxWorker::runOnce) runs it.
    TenantScope tx(*db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
    auto finished = store.finish(tx, done, kNow);
    tx.commit();
    return finished.size();
  };
  queue(2, 100000);
  EXPECT_EQ(finishAll(store.claim(64, kNow, kNow + 10000)), 2u);
  analyze("inbox_events, inbox_work");
  for (int i = 0; i < 8; ++i) {
    queue(2, 200000 + 2 * i);
    EXPECT_EQ(finishAll(store.claim(64, kNow, kNow + 10000)), 2u);
  }
  queue(6000, 0);
  auto claimed = store.claim(64, kNow, kNow + 10000);
  ASSERT_EQ(claimed.size(), 64u);
  long long before = reads("inbox_events");
  EXPECT_EQ(finishAll(claimed), 64u);
  long long finish = reads("inbox_events") - before;
  EXPECT_LT(finish, 1000) << "finishing 64 events read " << finish << " inbox_events entries";
}

}  // namespace
}  // namespace baraza
