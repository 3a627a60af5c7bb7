// The queue's statements stay cheap on a queue that grew after they were first run: PostgreSQL
// caches a prepared statement's plan, and a plan made while the queue was empty (a fresh
// database, a quiet night) once walked the whole queue at every claim.
#include <gtest/gtest.h>

#include "pipeline/inbox_store.h"
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
  // Index entries and rows read from inbox_work so far, this session's included.
  long long reads() {
    run("SELECT pg_stat_force_next_flush()");
    run("SELECT 1");  // the session's counts are flushed once it is idle after the call
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << "SELECT COALESCE((SELECT SUM(idx_tup_read) FROM pg_stat_user_indexes WHERE "
                "relname = 'inbox_work'), 0) + COALESCE((SELECT seq_tup_read FROM "
                "pg_stat_user_tables WHERE relname = 'inbox_work'), 0)",
        soci::into(n);
    return n;
  }
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

}  // namespace
}  // namespace baraza
