#include "pipeline/inbox.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "storage/migrator.h"

namespace baraza {

std::optional<InboxEvent> inboxEventFrom(const nlohmann::json& event, std::string& problem) {
  if (!event.is_object()) {
    problem = "an event must be a JSON object";
    return std::nullopt;
  }
  InboxEvent e;
  e.channel_type = event.value("channel", "");
  e.kind = event.value("kind", "");
  const auto& account = event.contains("account") ? event["account"] : nlohmann::json();
  e.account_id = account.is_object() ? account.value("phone_number_id", "") : "";
  e.dedupe_key = event.value("dedupe_key", "");
  e.payload = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (e.channel_type.empty() || e.kind.empty() || e.account_id.empty()) {
    problem = "an event needs channel, kind and account.phone_number_id";
    return std::nullopt;
  }
  if (e.dedupe_key.empty())
    e.dedupe_key = e.kind + ":sha256:" + sha256Hex(e.payload);  // errors carry no id
  if (e.kind == "message") {
    const auto& from = event.contains("from") ? event["from"] : nlohmann::json();
    std::string who = from.is_object() ? from.value("user_id", "") : "";
    if (who.empty() && from.is_object())
      who = from.value("wa_id", "");
    e.order_key = e.channel_type + ':' + e.account_id + ':' + who;
  } else {
    e.order_key = e.channel_type + ':' + e.account_id + ':' + e.dedupe_key;  // no order needed
  }
  return e;
}

Inbox::Inbox(Database& db, Clock clock, Options options)
    : db_(db), clock_(std::move(clock)), options_(options) {
  writer_ = std::thread([this] { writerLoop(); });
}

Inbox::~Inbox() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_writer_.notify_all();
  writer_.join();
}

bool Inbox::store(std::vector<InboxEvent> events) {
  if (events.empty())
    return true;
  auto request = std::make_shared<Request>();
  request->events = std::move(events);
  std::unique_lock lock(mutex_);
  if (stopping_)
    return false;
  queued_events_ += request->events.size();
  queue_.push_back(request);
  wake_writer_.notify_one();
  wake_callers_.wait(lock, [&] { return request->done; });
  return request->ok;
}

void Inbox::waitForEvents(std::chrono::milliseconds at_most) {
  std::unique_lock lock(mutex_);
  unsigned long long seen = stored_batches_;
  wake_workers_.wait_for(lock, at_most, [&] { return stored_batches_ != seen || stopping_; });
}

void Inbox::writerLoop() {
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
    if (ok)
      ++stored_batches_;
    wake_callers_.notify_all();
    if (ok)
      wake_workers_.notify_all();
  }
}

bool Inbox::commitBatch(const std::vector<std::shared_ptr<Request>>& batch) {
  // One statement per transaction: the events travel as one JSON array, which both databases
  // unpack themselves (json_to_recordset, json_each), so a batch costs one round trip.
  nlohmann::json rows = nlohmann::json::array();
  size_t events = 0;
  for (const auto& r : batch) {
    for (const auto& e : r->events) {
      rows.push_back({e.channel_type, e.account_id, e.dedupe_key, e.kind, e.order_key, e.payload});
      ++events;
    }
  }
  std::string text = rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  long long now = clock_();
  try {
    TenantScope tx(db_, TenantScope::kAllTenants, true);
    if (db_.dialect() == Dialect::kPostgresql) {
      tx.sql() << "INSERT INTO inbox_events (channel_type, account_id, dedupe_key, kind, "
                  "order_key, payload, next_attempt_ms, received_ms) SELECT r->>0, r->>1, "
                  "r->>2, r->>3, r->>4, r->>5, :n, :n2 FROM json_array_elements(CAST(:rows AS "
                  "json)) AS r ON CONFLICT (channel_type, account_id, dedupe_key) DO NOTHING",
          soci::use(now), soci::use(now), soci::use(text);
    } else {
      tx.sql() << "INSERT INTO inbox_events (channel_type, account_id, dedupe_key, kind, "
                  "order_key, payload, next_attempt_ms, received_ms) SELECT value ->> 0, value "
                  "->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, :n, :n2 FROM "
                  "json_each(:rows) WHERE true ON CONFLICT (channel_type, account_id, "
                  "dedupe_key) DO NOTHING",
          soci::use(now), soci::use(now), soci::use(text);
    }
    tx.commit();
    auto& m = MetricsRegistry::global();
    m.counterAdd("baraza_inbox_events_total", {}, static_cast<double>(events));
    m.counterAdd("baraza_inbox_commits_total", {});
    m.histogramObserve("baraza_inbox_batch_events", {}, static_cast<double>(events), {});
    return true;
  } catch (const std::exception& e) {
    MetricsRegistry::global().counterAdd("baraza_inbox_commit_failures_total", {});
    spdlog::warn("inbox: a batch of {} event(s) was not stored: {}", events, e.what());
    return false;
  }
}

}  // namespace baraza
