#include "pipeline/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "core/metrics.h"

namespace baraza {
namespace {

TEST(WorkerPool, AFailingStepIsRetriedWithAGrowingPauseNotInALoop) {
  std::atomic<int> calls{0};
  std::atomic<bool> failing{true};
  WorkerPool pool("test pool", 1, std::chrono::milliseconds(0), [&]() -> int {
    ++calls;
    if (failing)
      throw std::runtime_error("the database is unreachable");
    return 0;
  });
  pool.start();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  int failed_calls = calls;
  // 100 + 200 + 400 ms of pauses fit in a second: a handful of calls, not a spinning core.
  EXPECT_GE(failed_calls, 2);
  EXPECT_LE(failed_calls, 6);
  failing = false;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the pause in force ends
  EXPECT_GT(calls, failed_calls + 10) << "a working step runs at its own pace again";
  pool.stop();
  EXPECT_NE(MetricsRegistry::global().renderPrometheus().find(
                "baraza_worker_failures_total{pool=\"test pool\"}"),
            std::string::npos);
}

TEST(WorkerPool, TheBackoffDoublesFrom100MsUpTo5s) {
  EXPECT_EQ(WorkerPool::backoffAfter(1).count(), 100);
  EXPECT_EQ(WorkerPool::backoffAfter(2).count(), 200);
  EXPECT_EQ(WorkerPool::backoffAfter(6).count(), 3200);
  EXPECT_EQ(WorkerPool::backoffAfter(7).count(), 5000);
  EXPECT_EQ(WorkerPool::backoffAfter(1000).count(), 5000);
}

}  // namespace
}  // namespace baraza
