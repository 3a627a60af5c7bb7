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

INSTANTIATE_TEST_SUITE_P(BothDialects, UsageLedger,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
