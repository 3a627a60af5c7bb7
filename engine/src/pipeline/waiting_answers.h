#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "pipeline/lease_keeper.h"
#include "pipeline/message_work.h"
#include "pipeline/worker_pool.h"
#include "storage/database.h"

namespace baraza {

// Messages whose strategy waits on the network (an AI provider), after their batch committed
// their records (docs/pipeline.md, "Strategies that wait"). Their own threads run the waiting
// strategy with no transaction open (their claims are kept alive by the LeaseKeeper), then
// write the answer, the usage and the event's completion in one transaction of the tenant's, so
// a slow provider holds no row, no SQLite write lock and no inbox worker.
class WaitingAnswers {
 public:
  WaitingAnswers(Database& db, StepParts parts, LeaseKeeper& leases, int threads,
                 std::function<void()> wake_senders);
  ~WaitingAnswers();

  void start();
  void stop();  // answers what it holds, then returns
  void add(std::unique_ptr<MessageWork> work);
  // Answers everything queued in the calling thread (tests without threads).
  void drain();
  size_t pending() const;

 private:
  int answerNext();
  void answer(MessageWork& work);

  Database& db_;
  StepParts parts_;
  LeaseKeeper& leases_;
  std::function<void()> wake_senders_;
  mutable std::mutex mutex_;
  std::deque<std::unique_ptr<MessageWork>> queue_;
  WorkerPool pool_;
};

}  // namespace baraza
