#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/incident_log.h"

namespace baraza {

// Threads that each run `step` over and over: `step` returns how much work it did, and a thread
// that found none sleeps until wake() or `idle` passes. Inbox workers, the outbox's dispatcher
// and senders, the lease keeper and the waiting answers all run on one of these.
class WorkerPool {
 public:
  using Step = std::function<int()>;
  WorkerPool(std::string name, int threads, std::chrono::milliseconds idle, Step step);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Lets every thread finish the step it is in, then joins them.
  void stop();
  void wake();     // one sleeping thread
  void wakeAll();  // every sleeping thread
  // Called from a step: waits `pause`, or less if the pool stops. Wakes neither end it nor are
  // taken by it (they stay for the threads that sleep for want of work).
  void pause(std::chrono::milliseconds pause);
  bool stopping() const { return stopping_; }

  // The pause after the n-th failed step in a row: 100 ms, doubled each time, at most 5 s.
  static std::chrono::milliseconds backoffAfter(int failures);
  static constexpr std::chrono::milliseconds kFirstBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{5000};

 private:
  void loop();

  std::string name_;
  int threads_;
  std::chrono::milliseconds idle_;
  Step step_;
  std::atomic<bool> stopping_{false};
  IncidentLog incidents_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable stopped_;  // ends pauses
  unsigned long long wakes_ = 0;
  std::vector<std::thread> running_;
};

}  // namespace baraza
