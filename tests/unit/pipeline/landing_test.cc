// Intake on SQLite (docs/pipeline.md): webhooks land in a journal of their own and are
// acknowledged, then moved into the inbox. The acknowledgement no longer waits for the
// database's write lock; nothing acknowledged is lost when the move fails or the process stops
// between a move and its removal from the journal.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/metrics.h"
#include "pipeline/inbox.h"
#include "pipeline/landing_journal.h"
#include "pipeline/landing_mover.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

using namespace std::chrono_literals;

constexpr long long kNow = 1795427998000LL;

InboxEvent event(int n) {
  return {"whatsapp",
          "119",
          "message:w" + std::to_string(n),
          "message",
          "whatsapp:119:" + std::to_string(n % 7),
          "{\"n\":" + std::to_string(n) + "}"};
}

class Landing : public ::testing::Test {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(Dialect::kSqlite);
    // A short wait for the write lock, so a held lock fails a move quickly.
    db_ = std::make_unique<Database>(target_->url(), 2, 300ms);
    Migrator(*db_, embeddedMigrations(Dialect::kSqlite)).apply();
    path_ = target_->file("bench.db.landing");
  }
  long long count(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  }
  // Waits up to 5 s for `sql` to count `want`.
  bool countReaches(const std::string& sql, long long want) {
    for (int i = 0; i < 500; ++i) {
      if (count(sql) == want)
        return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  Inbox::Options landing() {
    Inbox::Options o;
    o.landing_path = path_;
    o.store_timeout = 1000ms;
    return o;
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string path_;
};

TEST_F(Landing, TheJournalGivesBackWhatLandedInOrderWithItsTimes) {
  {
    LandingJournal journal(path_);
    journal.append({event(1), event(2)}, kNow);
    journal.append({event(3)}, kNow + 5);
  }
  LandingJournal reopened(path_);  // committed: it outlives the process that wrote it
  auto batches = reopened.oldest(100);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0].received_ms, kNow);
  ASSERT_EQ(batches[0].events.size(), 2u);
  EXPECT_EQ(batches[0].events[1].dedupe_key, "message:w2");
  EXPECT_EQ(batches[0].events[1].payload, "{\"n\":2}");
  EXPECT_EQ(batches[0].events[1].order_key, "whatsapp:119:2");
  EXPECT_EQ(batches[1].received_ms, kNow + 5);
  EXPECT_EQ(batches[1].events[0].dedupe_key, "message:w3");
  EXPECT_EQ(reopened.depth(), 3);
  reopened.remove(batches[0].last_id);
  EXPECT_EQ(reopened.depth(), 1);
  EXPECT_EQ(reopened.oldest(100).at(0).events.at(0).dedupe_key, "message:w3");
}

TEST_F(Landing, AMoverNeverRemovesWhatLandedAfterItsRead) {
  // Two processes on one database share the journal. A's mover reads three events; B's moves and
  // removes them; a new webhook lands; A, its move done, removes up to what it read.
  LandingJournal a(path_), b(path_);
  a.append({event(1), event(2), event(3)}, kNow);
  long long read_by_a = a.oldest(100).back().last_id;
  b.remove(b.oldest(100).back().last_id);
  b.append({event(4)}, kNow + 1);
  a.remove(read_by_a);
  auto left = b.oldest(100);
  ASSERT_EQ(left.size(), 1u) << "an acknowledged webhook was removed without being moved";
  EXPECT_EQ(left[0].events.at(0).dedupe_key, "message:w4");
}

TEST_F(Landing, AnAcknowledgementDoesNotWaitForTheDatabasesWriteLock) {
  Inbox inbox(
      *db_, [] { return kNow; }, landing());
  {
    // A worker's batch holding SQLite's one write lock for longer than a store may wait.
    std::unique_lock held(db_->sqliteWriter());
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(inbox.store({event(1), event(2)})) << "the webhook was refused";
    EXPECT_LT(std::chrono::steady_clock::now() - started, 900ms);
    EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 0) << "moved past a held lock";
  }
  // Once the lock is free the events are in the inbox, queued, with their landing time.
  EXPECT_TRUE(countReaches("SELECT COUNT(*) FROM inbox_work", 2));
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE received_ms = " + std::to_string(kNow)),
            2);
  EXPECT_EQ(LandingJournal(path_).depth(), 0) << "moved events stay in the journal";
}

TEST_F(Landing, WithoutTheJournalTheSameStoreWaitsForTheLock) {
  Inbox::Options direct;
  direct.store_timeout = 500ms;
  Inbox inbox(
      *db_, [] { return kNow; }, direct);
  std::unique_lock held(db_->sqliteWriter());
  EXPECT_FALSE(inbox.store({event(1)})) << "the direct path did not need the write lock";
}

TEST_F(Landing, WhatLandedBeforeACrashIsMovedAtTheNextStartAndOnlyOnce) {
  {
    // Landed and acknowledged, then the process died before its mover ran; one of them had
    // also been moved already (died between the move and the journal's removal).
    LandingJournal journal(path_);
    journal.append({event(1), event(2), event(3)}, kNow);
  }
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    InboxStore::insert(tx, {event(2)}, kNow);
    tx.commit();
  }
  Inbox inbox(
      *db_, [] { return kNow + 1000; }, landing());
  EXPECT_TRUE(countReaches("SELECT COUNT(*) FROM inbox_events", 3));
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_work"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE dedupe_key = 'message:w2'"), 1);
}

TEST_F(Landing, AFailedMoveKeepsTheEventsLandedAndIsCountedAndTriedAgain) {
  auto failures = [] {
    return MetricsRegistry::global().value("baraza_inbox_move_failures_total", {});
  };
  double before = failures();
  LandingJournal journal(path_);
  int moved = 0;
  {
    std::unique_lock held(db_->sqliteWriter());
    journal.append({event(1)}, kNow);
    LandingMover mover(
        *db_, journal, [&](long long newest) { moved += newest ? 1 : 0; }, 20ms);
    std::this_thread::sleep_for(700ms);  // two moves time out on the held lock
    EXPECT_GE(failures() - before, 1.0);
    EXPECT_EQ(journal.depth(), 1) << "a failed move lost what had landed";
    held.unlock();
    for (int i = 0; i < 200 && journal.depth() > 0; ++i)
      std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(journal.depth(), 0);
  EXPECT_EQ(moved, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 1);
}

TEST_F(Landing, WhileTheWorkRunsLateABatchLandsOnlyOnceTheLastWasMovedIn) {
  auto paced = [] {
    return MetricsRegistry::global().value("baraza_inbox_landing_paced_total", {});
  };
  double before = paced();
  Inbox::Options options = landing();
  options.intake.late_limit = 100ms;
  options.intake.max_hold = 10ms;
  options.store_timeout = 4000ms;
  Inbox inbox(
      *db_, [] { return kNow; }, options);
  std::unique_lock held(db_->sqliteWriter());  // the workers' batches keep the mover out
  EXPECT_TRUE(inbox.store({event(1)}));        // on time: lands at once
  inbox.reportLateness(IntakeGate::Stage::kInbox, 5000);
  std::thread release([&] {
    std::this_thread::sleep_for(400ms);
    held.unlock();
  });
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(inbox.store({event(2)}));
  auto took = std::chrono::steady_clock::now() - started;
  release.join();
  // It waited for the first batch to be moved in (the lock's release), not for its hold alone.
  EXPECT_GE(took, 300ms);
  EXPECT_EQ(paced() - before, 1.0);
  EXPECT_TRUE(countReaches("SELECT COUNT(*) FROM inbox_events", 2));
}

}  // namespace
}  // namespace baraza
