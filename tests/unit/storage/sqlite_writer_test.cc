// SQLite's one writer: every write transaction of a process uses one connection (its page
// cache survives from one write to the next), the time each thread waits for and holds the
// write turn is counted, and the write-ahead log is copied back by a thread of its own rather
// than inside a commit.
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/thread_name.h"
#include "storage/database.h"
#include "storage/wal_checkpointer.h"
#include "support/test_env.h"

namespace baraza {
namespace {

using namespace std::chrono_literals;

const Statement kCreate{"test_writer_create", "CREATE TABLE writer_probe (k INTEGER, v TEXT)", ""};
const Statement kInsert{"test_writer_insert", "INSERT INTO writer_probe (k, v) VALUES ($1, $2)",
                        ""};
const Statement kCount{"test_writer_count", "SELECT COUNT(*) FROM writer_probe", ""};

std::string sqliteUrl(const test::TempDir& dir) {
  return "sqlite://" + dir.file("writer.db");
}

TEST(SqliteWriter, WritesTakeTheWritersConnectionNotAPooledOne) {
  test::TempDir dir;
  Database db(sqliteUrl(dir), 1, 300ms);
  auto held = db.lease();  // the pool's only connection
  ASSERT_TRUE(held);
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.run(kCreate);
    tx.run(kInsert, Params().integer(1).text("one"));
    tx.commit();
  }
  // A read needs a pooled connection, and there is none.
  EXPECT_THROW(TenantScope(db, TenantScope::kAllTenants), StorageError);
  held.reset();
  TenantScope read(db, TenantScope::kAllTenants);
  EXPECT_EQ(read.run(kCount).integer(0, 0), 1);
}

TEST(SqliteWriter, EachThreadsWaitForAndHoldOfTheWriteTurnIsCounted) {
  test::TempDir dir;
  Database db(sqliteUrl(dir), 2, 2000ms);
  auto& metrics = MetricsRegistry::global();
  const Labels probe{{"thread", "turn probe"}};
  double held_before = metrics.value("baraza_sqlite_write_hold_seconds_total", probe);
  std::thread([&] {
    nameThisThread("turn probe");
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.run(kCreate);
    std::this_thread::sleep_for(30ms);
    tx.commit();
  }).join();
  EXPECT_GE(metrics.value("baraza_sqlite_write_hold_seconds_total", probe) - held_before, 0.03);
  // A rolled-back turn is counted too, and the turn is free again afterwards.
  double rolled_before = metrics.value("baraza_sqlite_write_hold_seconds_total", probe);
  std::thread([&] {
    nameThisThread("turn probe");
    TenantScope tx(db, TenantScope::kAllTenants, true);
    std::this_thread::sleep_for(20ms);
  }).join();
  EXPECT_GE(metrics.value("baraza_sqlite_write_hold_seconds_total", probe) - rolled_before, 0.02);
  TenantScope again(db, TenantScope::kAllTenants, true);
  again.run(kInsert, Params().integer(1).text("after"));
  again.commit();
}

TEST(WalCheckpointer, CopiesTheLogIntoTheDatabaseFileWithoutACommitDoingIt) {
  test::TempDir dir;
  Database db(sqliteUrl(dir), 2, 2000ms);
  auto& metrics = MetricsRegistry::global();
  double checkpoints_before = metrics.value("baraza_sqlite_checkpoints_total", {});
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    tx.run(kCreate);
    tx.commit();
  }
  auto file_size = [&] { return std::filesystem::file_size(dir.file("writer.db")); };
  auto before = file_size();
  // About 2 MB over five commits: below SQLite's own default (1,000 pages, ~4 MB) as well as
  // the 32 MB at which a commit here would checkpoint.
  for (int t = 0; t < 5; ++t) {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    for (int i = 0; i < 100; ++i)
      tx.run(kInsert, Params().integer(t * 100 + i).text(std::string(4000, 'a' + t)));
    tx.commit();
  }
  // The file grows while a checkpoint writes, before the checkpoint returns and is counted.
  auto copied = [&] {
    return file_size() >= before + 1'500'000 &&
           metrics.value("baraza_sqlite_checkpoints_total", {}) > checkpoints_before;
  };
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!copied() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_GE(file_size(), before + 1'500'000) << "the log was not copied into the database file";
  EXPECT_GT(metrics.value("baraza_sqlite_checkpoints_total", {}), checkpoints_before);
  TenantScope read(db, TenantScope::kAllTenants);
  EXPECT_EQ(read.run(kCount).integer(0, 0), 500);
}

TEST(WalCheckpointer, AFailedCheckpointIsCountedAndReported) {
  soci::session closed;  // never opened
  WalCheckpointer checkpointer(closed, std::chrono::hours(1));
  auto& metrics = MetricsRegistry::global();
  double failures_before = metrics.value("baraza_sqlite_checkpoint_failures_total", {});
  EXPECT_FALSE(checkpointer.checkpoint());
  EXPECT_EQ(metrics.value("baraza_sqlite_checkpoint_failures_total", {}) - failures_before, 1);
}

}  // namespace
}  // namespace baraza
