#include "pipeline/worker_pool.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/thread_name.h"

namespace baraza {

WorkerPool::WorkerPool(std::string name, int threads, std::chrono::milliseconds idle, Step step)
    : name_(std::move(name)),
      threads_(threads),
      idle_(idle),
      step_(std::move(step)),
      incidents_(name_) {}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::start() {
  stopping_ = false;
  for (int i = 0; i < threads_; ++i)
    running_.emplace_back([this] { loop(); });
}

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stopped_.notify_all();
  wakeAll();
  for (auto& t : running_) {
    if (t.joinable())
      t.join();
  }
  running_.clear();
}

void WorkerPool::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  wake_.notify_one();
}

void WorkerPool::wakeAll() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  wake_.notify_all();
}

void WorkerPool::pause(std::chrono::milliseconds pause) {
  std::unique_lock lock(mutex_);
  stopped_.wait_for(lock, pause, [&] { return stopping_.load(); });
}

std::chrono::milliseconds WorkerPool::backoffAfter(int failures) {
  auto pause = kFirstBackoff * (1LL << std::min(failures - 1, 16));
  return std::min<std::chrono::milliseconds>(pause, kMaxBackoff);
}

void WorkerPool::loop() {
  nameThisThread(name_);
  int failures_in_a_row = 0;
  while (!stopping_) {
    unsigned long long seen;
    {
      std::lock_guard lock(mutex_);
      seen = wakes_;
    }
    int done = 0;
    try {
      done = step_();
      if (failures_in_a_row > 0) {
        failures_in_a_row = 0;
        incidents_.succeeded();
      }
    } catch (const std::exception& e) {
      // A step reports its own failures; this is the last guard, so a thread never dies. A
      // failing step (the database is down) is retried with a growing pause, and logged once
      // per incident: retried at once, it would spin a core and flood the log.
      ++failures_in_a_row;
      MetricsRegistry::global().counterAdd("baraza_worker_failures_total", {{"pool", name_}});
      incidents_.failed(std::string(e.what()) + "; retrying with a growing pause (up to " +
                        std::to_string(kMaxBackoff.count()) + " ms)");
      pause(backoffAfter(failures_in_a_row));
      continue;
    }
    if (done > 0 || stopping_)
      continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, idle_, [&] { return stopping_ || wakes_ != seen; });
  }
}

}  // namespace baraza
