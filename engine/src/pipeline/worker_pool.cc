#include "pipeline/worker_pool.h"

#include <spdlog/spdlog.h>

namespace baraza {

WorkerPool::WorkerPool(std::string name, int threads, std::chrono::milliseconds idle, Step step)
    : name_(std::move(name)), threads_(threads), idle_(idle), step_(std::move(step)) {}

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

void WorkerPool::loop() {
  while (!stopping_) {
    unsigned long long seen;
    {
      std::lock_guard lock(mutex_);
      seen = wakes_;
    }
    int done = 0;
    try {
      done = step_();
    } catch (const std::exception& e) {
      // A step reports its own failures; this is the last guard, so a thread never dies.
      spdlog::warn("{}: {}", name_, e.what());
    }
    if (done > 0 || stopping_)
      continue;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, idle_, [&] { return stopping_ || wakes_ != seen; });
  }
}

}  // namespace baraza
