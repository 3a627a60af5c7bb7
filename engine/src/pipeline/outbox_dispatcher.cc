#include "pipeline/outbox_dispatcher.h"

#include <cstring>

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "pipeline/backoff.h"
#include "pipeline/intake_gate.h"

namespace baraza {
namespace {

SendResult givenBack(const ClaimedSend& s, long long now) {
  SendResult r(s, SendResult::Kind::kPaced);
  r.at_ms = now;
  return r;
}

}  // namespace

OutboxDispatcher::OutboxDispatcher(OutboxStore& store, LeaseKeeper& leases, const Sealer& sealer,
                                   const TenantDirectory& directory, const PluginHost& plugins,
                                   const PipelineConfig& config, MessageClock& clock,
                                   SendPacer::Reserve shared_pace,
                                   std::function<void(long long)> report_lateness)
    : store_(store),
      leases_(leases),
      sealer_(sealer),
      directory_(directory),
      plugins_(plugins),
      config_(config),
      clock_(clock),
      pacer_(config.per_number_rate, config.pair_interval_ms, std::move(shared_pace)),
      report_lateness_(std::move(report_lateness)),
      dispatcher_("outbox dispatcher", 1, std::chrono::milliseconds(config.poll_ms),
                  [this] { return dispatch(); }),
      senders_("outbox sender", config.senders, std::chrono::milliseconds(config.poll_ms),
               [this] { return sendNext(); }) {}

OutboxDispatcher::~OutboxDispatcher() {
  stop();
}

void OutboxDispatcher::start() {
  if (config_.senders <= 0)
    return;  // a process that stores and answers but leaves sending to others
  senders_.start();
  dispatcher_.start();
  std::lock_guard lock(mutex_);
  running_ = true;
  waits_ended_ = false;
}

void OutboxDispatcher::endWaits() {
  {
    std::lock_guard lock(mutex_);
    waits_ended_ = true;
  }
  room_.notify_all();
}

void OutboxDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
  room_.notify_all();
  dispatcher_.stop();
  senders_.stop();
  {
    // Sends never started go back to the queue at once rather than when their lease runs out.
    std::lock_guard lock(mutex_);
    long long now = clock_.nowMs();
    for (const auto& s : to_send_)
      results_.push_back(givenBack(s, now));
    to_send_.clear();
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    record_again_ms_ = 0;
    record(clock_.nowMs());
    std::lock_guard lock(mutex_);
    if (results_.empty())
      break;
  }
}

void OutboxDispatcher::wake() {
  dispatcher_.wake();
}

int OutboxDispatcher::dispatch() {
  long long now = clock_.nowMs();
  int done = record(now);
  size_t room;
  {
    std::lock_guard lock(mutex_);
    // Up to 2 x senders a claim, while the room (shared with handed sends) lasts: due sends
    // (retries, escalation notices, what did not fit) are claimed under a full load too.
    size_t most = handedCap();
    size_t per_claim = static_cast<size_t>(std::max(config_.senders, 1)) * 2;
    room = in_flight_ < most ? std::min(per_claim, most - in_flight_) : 0;
  }
  if (room == 0 || dispatcher_.stopping())
    return done;
  std::vector<ClaimedSend> claimed;
  try {
    claimed = store_.claim(static_cast<int>(room), now, now + leases_.leaseMs());
    claims_.succeeded();
    MetricsRegistry::global().counterAdd("baraza_outbox_claimed_sends_total", {},
                                         static_cast<double>(claimed.size()));
  } catch (const std::exception& e) {
    MetricsRegistry::global().counterAdd("baraza_outbox_claim_failures_total", {});
    claims_.failed(e.what());
    return done;
  }
  {
    std::lock_guard lock(mutex_);
    // A full claim may have left due sends behind: they go before any new one is handed over.
    backlog_ = claimed.size() == room;
  }
  if (claimed.size() < room)
    room_.notify_all();
  reportLateness(claimed, now);
  if (claimed.empty())
    return done;
  std::vector<OutboxStore::Key> keys;
  for (const auto& s : claimed)
    keys.emplace_back(s.tenant_id, s.id);
  leases_.holdSends(keys);
  {
    std::lock_guard lock(mutex_);
    in_flight_ += claimed.size();
    to_send_.insert(to_send_.end(), claimed.begin(), claimed.end());
  }
  senders_.wakeAll();
  return done + static_cast<int>(claimed.size());
}

int OutboxDispatcher::record(long long now) {
  std::vector<SendResult> results;
  {
    std::lock_guard lock(mutex_);
    if (results_.empty() || now < record_again_ms_)
      return 0;
    results.swap(results_);
  }
  try {
    store_.record(results, now, clock_.stamp());
  } catch (const std::exception& e) {
    // Kept in memory and recorded again; their claims stay renewed, so no one sends them twice.
    MetricsRegistry::global().counterAdd("baraza_outbox_record_failures_total", {});
    if (record_failures_++ == 0)
      spdlog::warn("outbox: {} send result(s) not recorded yet, trying again: {}", results.size(),
                   e.what());
    std::lock_guard lock(mutex_);
    record_again_ms_ = now + std::min(1000LL, 50LL << std::min(record_failures_, 5));
    results_.insert(results_.begin(), std::make_move_iterator(results.begin()),
                    std::make_move_iterator(results.end()));
    return 0;
  }
  if (record_failures_ > 0)
    spdlog::info("outbox: send results recorded again after {} failed tries", record_failures_);
  record_failures_ = 0;
  std::vector<OutboxStore::Key> keys;
  for (const auto& r : results)
    keys.emplace_back(r.send.tenant_id, r.send.id);
  leases_.dropSends(keys);
  bool queued;
  {
    std::lock_guard lock(mutex_);
    in_flight_ -= std::min(in_flight_, results.size());
    queued = !to_send_.empty();
  }
  room_.notify_all();
  if (queued)
    senders_.wakeAll();  // those that paused while results waited
  bool again = std::any_of(results.begin(), results.end(), [](const SendResult& r) {
    return r.kind == SendResult::Kind::kNewRequest;
  });
  if (again)
    dispatcher_.wake();
  return static_cast<int>(results.size());
}

void OutboxDispatcher::finished(SendResult result) {
  {
    std::lock_guard lock(mutex_);
    results_.push_back(std::move(result));
  }
  dispatcher_.wake();
}

int OutboxDispatcher::sendNext() {
  ClaimedSend claimed;
  {
    std::lock_guard lock(mutex_);
    // Sent and not yet recorded stays under 2 x senders (one at the channel, one waiting for
    // the record, per sender): what a kill can send twice.
    if (to_send_.empty() || results_.size() >= static_cast<size_t>(config_.senders))
      return 0;
    claimed = std::move(to_send_.front());
    to_send_.pop_front();
  }
  finished(send(claimed));
  return 1;
}

size_t OutboxDispatcher::handedCap() const {
  size_t senders = static_cast<size_t>(std::max(config_.senders, 1));
  return std::max(senders * 8, static_cast<size_t>(std::max(config_.batch_size, 1)) * 2);
}

size_t OutboxDispatcher::roomLocked() const {
  size_t most = handedCap();
  return running_ && !backlog_ && in_flight_ < most ? most - in_flight_ : 0;
}

size_t OutboxDispatcher::reserveAhead(size_t wanted, std::chrono::milliseconds most) {
  std::unique_lock lock(mutex_);
  wanted = std::min(wanted, handedCap() / 2);
  auto ready = [&] { return !running_ || waits_ended_ || roomLocked() >= wanted; };
  if (!ready() && most.count() > 0) {
    bool room = room_.wait_for(lock, most, ready) && !waits_ended_;
    MetricsRegistry::global().counterAdd("baraza_outbox_room_waits_total",
                                         {{"outcome", room ? "room" : "timed_out"}});
  }
  size_t taken = std::min(wanted, roomLocked());
  in_flight_ += taken;
  return taken;
}

size_t OutboxDispatcher::reserve(size_t wanted) {
  size_t reserved = 0;
  return reserveFor(wanted, reserved);
}

size_t OutboxDispatcher::reserveFor(size_t wanted, size_t& reserved) {
  std::lock_guard lock(mutex_);
  // Checked now, not when the room was reserved ahead: a batch that committed meanwhile may
  // have left a reply due for a contact whose next message this batch answers.
  if (!running_ || backlog_)
    return 0;
  if (wanted > reserved) {
    size_t more = std::min(wanted - reserved, roomLocked());
    if (more < wanted - reserved)
      backlog_ = true;  // the rest goes in due, for a claim
    in_flight_ += more;
    reserved += more;
  }
  return std::min(wanted, reserved);
}

void OutboxDispatcher::adopt(std::vector<ClaimedSend> sends, size_t reserved) {
  std::vector<OutboxStore::Key> keys;
  for (const auto& s : sends)
    keys.emplace_back(s.tenant_id, s.id);
  leases_.holdSends(keys);
  {
    std::lock_guard lock(mutex_);
    in_flight_ -= std::min(in_flight_, reserved - std::min(reserved, sends.size()));
    to_send_.insert(to_send_.end(), std::make_move_iterator(sends.begin()),
                    std::make_move_iterator(sends.end()));
  }
  if (sends.size() < reserved)
    room_.notify_all();
  if (keys.empty())
    return;
  MetricsRegistry::global().counterAdd("baraza_outbox_handed_sends_total", {},
                                       static_cast<double>(keys.size()));
  senders_.wakeAll();
}

void OutboxDispatcher::reportLateness(const std::vector<ClaimedSend>& claimed, long long now) {
  if (report_lateness_)
    report_lateness_(claimLateness(claimed, now));
}

SendLease OutboxDispatcher::lease() const {
  return {store_.owner(), clock_.nowMs() + leases_.leaseMs()};
}

int OutboxDispatcher::sendDue(int max) {
  long long now = clock_.nowMs();
  auto claimed = store_.claim(max, now, now + leases_.leaseMs());
  reportLateness(claimed, now);
  std::vector<SendResult> results;
  for (const auto& s : claimed)
    results.push_back(send(s));
  store_.record(results, clock_.nowMs(), clock_.stamp());
  return static_cast<int>(claimed.size());
}

}  // namespace baraza
