// OwnerLiveness on both dialects: a live process's mark stands, a killed one's is gone at once
// (so its claims need not wait out their leases), and an owner that never marked itself is not
// taken for dead where the dialect can tell.
#include "pipeline/owner_liveness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

class OwnerLivenessTest : public ::testing::TestWithParam<Dialect> {
 protected:
  OwnerLivenessTest() : target_(GetParam()), url_(parseDatabaseUrl(target_.url())) {}

  // A process that marks itself alive as `owner` and then waits to be killed.
  pid_t startMarkedProcess(const std::string& owner) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      OwnerLiveness mark(url_, owner);
      char ok = mark.announce() ? 'y' : 'n';
      if (::write(ready[1], &ok, 1) != 1)
        ::_exit(2);
      for (;;)
        ::pause();
    }
    ::close(ready[1]);
    char ok = 0;
    EXPECT_EQ(::read(ready[0], &ok, 1), 1);
    ::close(ready[0]);
    EXPECT_EQ(ok, 'y') << "the child could not mark itself alive";
    return pid;
  }

  static void kill9(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }

  // The server notices a dead client's socket at once, but asynchronously.
  static bool goneWithin2s(OwnerLiveness& observer, const std::string& owner) {
    for (int i = 0; i < 100; ++i) {
      if (observer.isGone(owner))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  DialectDatabase target_;
  DatabaseUrl url_;
};

TEST_P(OwnerLivenessTest, ALiveProcessStandsAndAKilledOneIsGoneAtOnce) {
  OwnerLiveness observer(url_, "marked-observer");
  ASSERT_TRUE(observer.announce());
  pid_t child = startMarkedProcess("marked-engine-1");
  EXPECT_FALSE(observer.isGone("marked-engine-1"));
  EXPECT_FALSE(observer.isGone("marked-observer"));  // never itself
  kill9(child);
  EXPECT_TRUE(goneWithin2s(observer, "marked-engine-1"));
  if (GetParam() == Dialect::kSqlite) {
    // A process that died holding nothing leaves a mark nobody looks at: the next start clears it.
    pid_t idle = startMarkedProcess("marked-idle");
    kill9(idle);
    auto marks = std::filesystem::path(url_.sqlite_path + ".owners");
    EXPECT_TRUE(std::filesystem::exists(marks / "marked-idle"));
    OwnerLiveness next(url_, "marked-next");
    ASSERT_TRUE(next.announce());
    EXPECT_FALSE(std::filesystem::exists(marks / "marked-idle"));
    // Cleared, it is still known for gone: a claim it held is taken back at the next round.
    EXPECT_TRUE(next.isGone("marked-idle"));
    EXPECT_TRUE(std::filesystem::exists(marks / "marked-observer")) << "a live mark stays";
  }
}

TEST_P(OwnerLivenessTest, ACleanStopWithdrawsTheMarkAndAnotherCheckerAgrees) {
  OwnerLiveness observer(url_, "marked-observer");
  OwnerLiveness other_observer(url_, "marked-observer-2");
  ASSERT_TRUE(observer.announce());
  ASSERT_TRUE(other_observer.announce());
  {
    OwnerLiveness engine(url_, "marked-engine-2");
    ASSERT_TRUE(engine.announce());
    EXPECT_TRUE(engine.announce()) << "a second call checks the mark and keeps it";
    EXPECT_FALSE(observer.isGone("marked-engine-2"));
    EXPECT_FALSE(other_observer.isGone("marked-engine-2"));
  }
  pid_t child = startMarkedProcess("marked-engine-3");
  kill9(child);
  EXPECT_TRUE(goneWithin2s(observer, "marked-engine-3"));
  // The first checker's look does not make the dead one look alive to the next.
  if (GetParam() == Dialect::kPostgresql)
    EXPECT_TRUE(other_observer.isGone("marked-engine-3"));
}

// Send pacing keeps its budgets in memory while an SQLite engine is alone with its file.
TEST_P(OwnerLivenessTest, AMarkedProcessKnowsWhetherItIsAlone) {
  OwnerLiveness self(url_, "marked-self");
  EXPECT_TRUE(self.othersAlive()) << "unmarked, it cannot tell";
  ASSERT_TRUE(self.announce());
  if (GetParam() == Dialect::kPostgresql) {
    EXPECT_TRUE(self.othersAlive()) << "PostgreSQL cannot tell: company is assumed";
    return;
  }
  EXPECT_FALSE(self.othersAlive());
  pid_t child = startMarkedProcess("marked-company");
  EXPECT_TRUE(self.othersAlive());
  kill9(child);
  EXPECT_FALSE(self.othersAlive());
}

TEST_P(OwnerLivenessTest, AnOwnerThatNeverMarkedItself) {
  OwnerLiveness observer(url_, "marked-observer");
  ASSERT_TRUE(observer.announce());
  // An engine that does not mark itself (reclaim_from_the_gone off, an older version) says so
  // in its id: its claims wait out their leases, though no mark of it can be found.
  EXPECT_FALSE(observer.isGone("4b1e6a2c-0000-4000-8000-000000000000"));
  EXPECT_FALSE(observer.isGone(""));
  // Marked, but no mark there: SQLite sees no file and leaves it to the lease; on PostgreSQL an
  // unheld lock is all there is to see.
  EXPECT_EQ(observer.isGone("marked-never"), GetParam() == Dialect::kPostgresql);
  if (GetParam() == Dialect::kSqlite)
    EXPECT_FALSE(observer.isGone("marked-/../escape")) << "an id is never a path";
}

TEST_P(OwnerLivenessTest, AMarkThatCannotBeMadeIsCountedAndLeavesItToTheLease) {
  DatabaseUrl unreachable = url_;
  if (GetParam() == Dialect::kPostgresql)
    unreachable.connect_string = "host=127.0.0.1 port=1 dbname=none connect_timeout=2";
  else
    unreachable.sqlite_path = "/proc/baraza-none/db.sqlite";  // no folder can be made there
  auto& metrics = MetricsRegistry::global();
  double failures = metrics.value("baraza_owner_mark_failures_total", {});
  OwnerLiveness stranded(unreachable, "marked-stranded");
  EXPECT_FALSE(stranded.announce());
  EXPECT_FALSE(stranded.announce());
  EXPECT_EQ(metrics.value("baraza_owner_mark_failures_total", {}), failures + 2);
  // Unmarked, it cannot tell another's death from its own outage: it takes nobody for gone.
  EXPECT_FALSE(stranded.isGone("marked-someone"));
}

INSTANTIATE_TEST_SUITE_P(BothDialects, OwnerLivenessTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
