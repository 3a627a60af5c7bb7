#include "pipeline/inbox.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "core/thread_name.h"
#include "pipeline/intake_events.h"
#include "storage/migrator.h"

namespace baraza {

Inbox::Inbox(Database& db, Clock clock, Options options)
    : db_(db), clock_(std::move(clock)), options_(options), gate_(options.intake) {
  if (!options_.landing_path.empty()) {
    landing_ = std::make_unique<LandingJournal>(options_.landing_path);
    mover_ = std::make_unique<LandingMover>(db_, *landing_, [this](long long newest_ms) {
      gate_.observe(IntakeGate::Stage::kLanding, newest_ms ? clock_() - newest_ms : 0);
      if (newest_ms)
        notifyStored();
    });
  }
  writer_ = std::thread([this] { writerLoop(); });
}

Inbox::~Inbox() {
  gate_.open();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  writer_.join();
  mover_.reset();  // moves what landed, then stops
}

void Inbox::notifyStored() {
  {
    std::lock_guard lock(mutex_);
    ++stored_batches_;
  }
  wake_workers_.notify_all();
}

int Inbox::accept(const std::string& channel, std::string_view events_json, size_t& count) {
  auto parsed = inboxEventsFrom(events_json);
  if (!parsed)
    return 2;
  count = parsed->size();
  std::vector<InboxEvent> events;
  events.reserve(parsed->size());
  for (auto& e : *parsed) {
    if (!e.event) {
      // Kept out of the inbox but not lost from sight: logged and counted.
      MetricsRegistry::global().counterAdd("baraza_inbox_rejected_events_total",
                                           {{"channel", channel}});
      spdlog::warn("inbox: an event from {} was not taken: {}", channel, e.problem);
      continue;
    }
    events.push_back(std::move(*e.event));
  }
  return store(std::move(events)) ? 0 : 1;
}

bool Inbox::store(std::vector<InboxEvent> events) {
  if (events.empty())
    return true;
  gate_.waitForRoom();
  auto request = std::make_shared<Request>();
  request->events = std::move(events);
  std::unique_lock lock(mutex_);
  if (stopping_)
    return false;
  queued_events_ += request->events.size();
  queue_.push_back(request);
  wake_writer_.notify_one();
  if (wake_callers_.wait_for(lock, options_.store_timeout, [&] { return request->done; }))
    return request->ok;
  auto queued = std::find(queue_.begin(), queue_.end(), request);
  if (queued != queue_.end()) {  // the writer has not taken it: it never will
    queued_events_ -= request->events.size();
    queue_.erase(queued);
  }
  MetricsRegistry::global().counterAdd("baraza_inbox_store_timeouts_total", {});
  auto now = std::chrono::steady_clock::now();
  if (now - last_timeout_log_ > std::chrono::seconds(10)) {  // once per incident, not per request
    last_timeout_log_ = now;
    spdlog::error(
        "inbox: events not committed within {} ms; answering 503 (the database is slow "
        "or unreachable)",
        options_.store_timeout.count());
  }
  return false;
}

void Inbox::waitForEvents(std::chrono::milliseconds at_most) {
  std::unique_lock lock(mutex_);
  unsigned long long seen = stored_batches_;
  wake_workers_.wait_for(lock, at_most, [&] { return stored_batches_ != seen || stopping_; });
}

void Inbox::writerLoop() {
  nameThisThread("inbox writer");
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_writer_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_)
      return;
    // A little patience fills the transaction when requests arrive together.
    if (options_.linger_us > 0 && queued_events_ < options_.max_batch && !stopping_) {
      wake_writer_.wait_for(lock, std::chrono::microseconds(options_.linger_us),
                            [&] { return stopping_ || queued_events_ >= options_.max_batch; });
    }
    std::vector<std::shared_ptr<Request>> batch;
    size_t events = 0;
    while (!queue_.empty() && (batch.empty() || events < options_.max_batch)) {
      events += queue_.front()->events.size();
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    queued_events_ -= events;
    lock.unlock();
    bool ok = commitBatch(batch);
    lock.lock();
    for (auto& r : batch) {
      r->done = true;
      r->ok = ok;
    }
    bool in_inbox = ok && !landing_;  // landed events reach the workers through the mover
    if (in_inbox)
      ++stored_batches_;
    wake_callers_.notify_all();
    if (in_inbox)
      wake_workers_.notify_all();
  }
}

namespace {

const std::vector<double> kCommitBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                            0.02,   0.05,  0.1,    0.25,  1};

}  // namespace

bool Inbox::commitBatch(const std::vector<std::shared_ptr<Request>>& batch) {
  std::vector<InboxEvent> events;
  for (const auto& r : batch)  // the callers wait only for `done` and `ok`
    events.insert(events.end(), std::make_move_iterator(r->events.begin()),
                  std::make_move_iterator(r->events.end()));
  auto started = std::chrono::steady_clock::now();
  try {
    storeEvents(events);
    auto& m = MetricsRegistry::global();
    m.counterAdd("baraza_inbox_events_total", {}, static_cast<double>(events.size()));
    m.counterAdd("baraza_inbox_commits_total", {});
    m.histogramObserve("baraza_inbox_batch_events", {}, static_cast<double>(events.size()), {});
    // What every acknowledgement in the batch waited for, write turn (SQLite) included: the
    // landing journal's commit when there is one.
    m.histogramObserve(
        "baraza_inbox_commit_seconds", {},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
        kCommitBuckets);
    return true;
  } catch (const std::exception& e) {
    MetricsRegistry::global().counterAdd("baraza_inbox_commit_failures_total", {});
    spdlog::warn("inbox: a batch of {} event(s) was not stored: {}", events.size(), e.what());
    return false;
  }
}

void Inbox::storeEvents(std::vector<InboxEvent>& events) {
  if (landing_) {
    paceLanding();
    landing_->append(events, clock_());
    MetricsRegistry::global().counterAdd("baraza_inbox_landed_events_total", {},
                                         static_cast<double>(events.size()));
    mover_->wake();
    return;
  }
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  InboxStore::insert(tx, events, clock_());
  tx.commit();
}

// While the work behind the inbox runs late (over a tenth of the gate's limit), a batch lands
// only once the previous ones have been moved in, as the writer stored them itself before there
// was a journal: the intake then keeps the pace of the database's write lock, which the workers
// share, instead of landing webhooks ~3x faster than they can be answered (replies 3-4 s late
// at overload; paced from half the limit, still 2.5 s).
void Inbox::paceLanding() {
  long long limit = options_.intake.late_limit.count();
  if (limit <= 0 || gate_.lateMs() <= limit / 10)
    return;
  if (landing_->depth() == 0)
    return;  // nothing waits to be moved in: no pace to keep
  MetricsRegistry::global().counterAdd("baraza_inbox_landing_paced_total", {});
  auto until = std::chrono::steady_clock::now() + options_.store_timeout / 2;
  // The journal is counted outside the inbox's lock, which webhooks take to queue their events.
  while (landing_->depth() > 0 && std::chrono::steady_clock::now() < until) {
    std::unique_lock lock(mutex_);
    wake_workers_.wait_for(lock, std::chrono::milliseconds(5));  // or a move's notifyStored()
  }
}

}  // namespace baraza
