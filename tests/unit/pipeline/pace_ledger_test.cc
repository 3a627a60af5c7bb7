// The send budget per number shared through the database: two engines (two ledgers with their
// own connection pools) on one database send a number's rate together, not each; on SQLite and
// PostgreSQL, with the clock given.
#include "pipeline/pace_ledger.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

constexpr long long kNow = 1795427999000LL;  // any fixed time

class PaceLedgerTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    first_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(10000));
    second_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(10000));
    Migrator(*first_, embeddedMigrations(GetParam())).apply();
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> first_, second_;
};

TEST_P(PaceLedgerTest, TwoEnginesShareANumbersSecondOfSends) {
  PaceLedger a(*first_, 80), b(*second_, 80);
  int granted = 0;
  // Both ask 8 at a time, in turn, at the same instant: a second's worth between them.
  for (int i = 0; i < 20; ++i) {
    granted += a.reserve("whatsapp", "119", 8, kNow).granted;
    granted += b.reserve("whatsapp", "119", 8, kNow).granted;
  }
  EXPECT_EQ(granted, 80);
  auto none = b.reserve("whatsapp", "119", 8, kNow);
  EXPECT_EQ(none.granted, 0);
  EXPECT_EQ(none.retry_ms, 100) << "until the 8 asked for fit: 8 x 12.5 ms";
  EXPECT_EQ(a.reserve("whatsapp", "120", 8, kNow).granted, 8) << "another number, its own";
  EXPECT_EQ(a.reserve("telegram", "119", 8, kNow).granted, 8) << "another channel's 119";
  // Half a second later half a second's sends fit again, and only those.
  int later = 0;
  for (int i = 0; i < 20; ++i)
    later += (i % 2 ? a : b).reserve("whatsapp", "119", 8, kNow + 500).granted;
  EXPECT_EQ(later, 40);
}

TEST_P(PaceLedgerTest, ReservationsFromManyThreadsNeverExceedTheRate) {
  PaceLedger a(*first_, 50), b(*second_, 50);
  std::atomic<int> granted{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i)
        granted += (t % 2 ? a : b).reserve("whatsapp", "777", 5, kNow).granted;
    });
  }
  threads.clear();  // joins
  EXPECT_EQ(granted.load(), 50);
}

TEST_P(PaceLedgerTest, AloneOnTheDatabaseTheBudgetIsKeptInMemory) {
  bool company = false;
  PaceLedger ledger(*first_, 80, [&] { return company; });
  int granted = 0;
  for (int i = 0; i < 20; ++i)
    granted += ledger.reserve("whatsapp", "119", 8, kNow).granted;
  EXPECT_EQ(granted, 80) << "the same arithmetic as the statement";
  EXPECT_EQ(ledger.reserve("whatsapp", "119", 8, kNow).retry_ms, 100);
  auto rows = [&] {
    TenantScope tx(*first_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << "SELECT COUNT(*) FROM send_pace", soci::into(n);
    return n;
  };
  EXPECT_EQ(rows(), 0) << "no statement while alone";
  company = true;  // another engine started: seen at the next look, 2 s on
  EXPECT_EQ(ledger.reserve("whatsapp", "119", 8, kNow + 1000).granted, 8);
  EXPECT_EQ(rows(), 0);
  EXPECT_EQ(ledger.reserve("whatsapp", "119", 8, kNow + 2000).granted, 8);
  EXPECT_EQ(rows(), 1) << "shared through the database from then on";
}

INSTANTIATE_TEST_SUITE_P(BothDialects, PaceLedgerTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
