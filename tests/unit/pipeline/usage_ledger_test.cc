// The usage ledger: periods roll over by the clock they are given, and a limit taken from many
// threads at once (many processes share the same statement) ends exactly at the limit, on
// SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/uuid.h"
#include "pipeline/usage_ledger.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

// 2026-11-23 09:59:59.900 UTC
constexpr long long kBefore = 1795427999900LL;

TEST(UsagePeriods, RollOverAtTheHourTheDayAndTheMonth) {
  EXPECT_EQ(periodKey('h', kBefore), "h:2026-11-23T09");
  EXPECT_EQ(periodKey('h', kBefore + 100), "h:2026-11-23T10");
  EXPECT_EQ(periodKey('d', kBefore), "d:2026-11-23");
  long long midnight = 1795478400000LL;  // 2026-11-24 00:00:00 UTC
  EXPECT_EQ(periodKey('d', midnight - 1), "d:2026-11-23");
  EXPECT_EQ(periodKey('d', midnight), "d:2026-11-24");
  long long december = 1796083200000LL;  // 2026-12-01 00:00:00 UTC
  EXPECT_EQ(periodKey('m', december - 1), "m:2026-11");
  EXPECT_EQ(periodKey('m', december), "m:2026-12");
}

class UsageLedger : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 8, std::chrono::milliseconds(10000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    tenant_ = newUuid();
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'ledger', 'Ledger')",
        soci::use(tenant_);
    tx.commit();
  }
  bool take(const std::string& period, long long limit) {
    TenantScope tx(*db_, tenant_, true);
    bool taken = takeUsage(tx, tenant_, "tenant", period, "replies", limit);
    tx.commit();
    return taken;
  }
  long long value(const std::string& period) {
    TenantScope tx(*db_, tenant_);
    return usageValue(tx, tenant_, "tenant", period, "replies");
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string tenant_;
};

TEST_P(UsageLedger, ALimitIsReachedExactlyUnderConcurrencyAndANewPeriodStartsAfresh) {
  std::string hour = periodKey('h', kBefore);
  std::atomic<int> taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i)
        taken += take(hour, 100) ? 1 : 0;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(taken.load(), 100);
  EXPECT_EQ(value(hour), 100);
  EXPECT_FALSE(take(hour, 100));
  // The next hour by the same clock: a fresh counter.
  EXPECT_TRUE(take(periodKey('h', kBefore + 100), 100));
  EXPECT_EQ(value(periodKey('h', kBefore + 100)), 1);
  // Given back, a slot can be taken again; no limit always takes.
  {
    TenantScope tx(*db_, tenant_, true);
    addUsage(tx, tenant_, "tenant", hour, "replies", -1);
    tx.commit();
  }
  EXPECT_TRUE(take(hour, 100));
  EXPECT_FALSE(take(hour, 100));
  EXPECT_TRUE(take(hour, 0));
  EXPECT_EQ(value(hour), 101);
}

long long counterValue(Database& db, const std::string& tenant, const std::string& period,
                       const std::string& name) {
  TenantScope tx(db, tenant);
  long long v = 0;
  soci::indicator ind = soci::i_null;
  tx.sql() << "SELECT value FROM usage_counters WHERE tenant_id = :t AND scope = 'tenant' AND "
              "period = :p AND name = :n",
      soci::use(tenant), soci::use(period), soci::use(name), soci::into(v, ind);
  return ind == soci::i_ok ? v : 0;
}

TEST_P(UsageLedger, BatchCountsAreReadBeforeTheFoldAndFoldIntoTheirDayAndMonth) {
  std::string day = periodKey('d', kBefore), next_day = periodKey('d', kBefore + 86400000LL);
  std::string month = periodKey('m', kBefore), hour = periodKey('h', kBefore);
  std::string other = newUuid();
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'other', 'Other')",
        soci::use(other);
    for (int batch = 0; batch < 2; ++batch) {
      addUsageBatch(tx,
                    {{{tenant_, "tenant", day, "inbound"}, 3},
                     {{tenant_, "tenant", day, "tokens"}, 1000},
                     {{tenant_, "tenant", next_day, "inbound"}, 2},
                     {{tenant_, "tenant", hour, "inbound"}, 7},  // not a day: its counter
                     {{tenant_, "tenant", day, "mystery"}, 5},   // no column: its counter
                     {{other, "tenant", day, "inbound"}, 40}},
                    newUuid());
    }
    tx.commit();
  }
  auto read = [&](const std::string& tenant, const std::string& period, const char* name) {
    TenantScope tx(*db_, tenant);
    return usageValue(tx, tenant, "tenant", period, name);
  };
  for (int folded = 0; folded < 2; ++folded) {
    SCOPED_TRACE(folded ? "after the fold" : "before the fold");
    EXPECT_EQ(read(tenant_, day, "inbound"), 6);
    EXPECT_EQ(read(tenant_, next_day, "inbound"), 4);
    EXPECT_EQ(read(tenant_, month, "inbound"), 10);
    EXPECT_EQ(read(tenant_, month, "tokens"), 2000);
    EXPECT_EQ(read(tenant_, day, "outbound"), 0);
    EXPECT_EQ(read(tenant_, hour, "inbound"), 14);
    EXPECT_EQ(read(tenant_, day, "mystery"), 10);
    EXPECT_EQ(read(other, month, "inbound"), 80);
    if (!folded) {
      EXPECT_EQ(counterValue(*db_, tenant_, month, "inbound"), 0);
      foldUsage(*db_);
    }
  }
  EXPECT_EQ(counterValue(*db_, tenant_, day, "inbound"), 6);
  EXPECT_EQ(counterValue(*db_, tenant_, month, "inbound"), 10);
  EXPECT_EQ(counterValue(*db_, other, day, "inbound"), 80);
  // Counts of zero make no counter rows; a second fold finds nothing to add.
  EXPECT_EQ(counterValue(*db_, tenant_, day, "outbound"), 0);
  foldUsage(*db_);
  EXPECT_EQ(read(tenant_, month, "inbound"), 10);

  // A tenant deleted before the fold: its deltas are dropped, the others' kept.
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    addUsageBatch(
        tx, {{{other, "tenant", day, "inbound"}, 1}, {{tenant_, "tenant", day, "inbound"}, 1}},
        newUuid());
    tx.sql() << "DELETE FROM tenants WHERE id = :i", soci::use(other);
    tx.commit();
  }
  foldUsage(*db_);
  EXPECT_EQ(counterValue(*db_, tenant_, day, "inbound"), 7);
  TenantScope tx(*db_, TenantScope::kAllTenants);
  long long left = -1;
  tx.sql() << "SELECT COUNT(*) FROM usage_deltas", soci::into(left);
  EXPECT_EQ(left, 0);
}

// Deltas written in the old shape (a row per count, day and month each) and not yet folded when
// the engine is upgraded: the migration moves them into the counters.
TEST_P(UsageLedger, TheMigrationToRowsPerDayKeepsDeltasNotYetFolded) {
  auto fresh = std::make_unique<test::DialectDatabase>(GetParam());
  Database db(fresh->url(), 2, std::chrono::milliseconds(10000));
  test::migrateThrough(db, GetParam(), 10);
  std::string tenant = newUuid();
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'old', 'Old')", soci::use(tenant);
    tx.sql() << "INSERT INTO usage_counters (tenant_id, scope, period, name, value) VALUES (:t, "
                "'tenant', 'm:2026-11', 'inbound', 100)",
        soci::use(tenant);
    for (const char* period : {"d:2026-11-23", "m:2026-11"}) {
      std::string p = period;
      tx.sql() << "INSERT INTO usage_deltas (tenant_id, batch_id, scope, period, name, value) "
                  "VALUES (:t, 'b1', 'tenant', :p, 'inbound', 4)",
          soci::use(tenant), soci::use(p);
    }
    tx.commit();
  }
  Migrator(db, embeddedMigrations(GetParam())).apply();
  EXPECT_EQ(counterValue(db, tenant, "d:2026-11-23", "inbound"), 4);
  EXPECT_EQ(counterValue(db, tenant, "m:2026-11", "inbound"), 104);
  TenantScope tx(db, tenant);
  EXPECT_EQ(usageValue(tx, tenant, "tenant", "m:2026-11", "inbound"), 104);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, UsageLedger,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
