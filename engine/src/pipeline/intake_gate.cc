#include "pipeline/intake_gate.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {

void IntakeGate::observe(Stage stage, long long late_ms) {
  if (options_.late_limit.count() <= 0)
    return;
  std::lock_guard lock(mutex_);
  static const char* const kNames[] = {"inbox", "outbox", "landing"};
  auto index = static_cast<size_t>(stage);
  late_ms_[index] = std::max(0LL, late_ms);
  MetricsRegistry::global().gaugeSet("baraza_inbox_lateness_seconds", {{"stage", kNames[index]}},
                                     static_cast<double>(std::max(0LL, late_ms)) / 1000.0);
  if (overLimit()) {
    if (!incident_) {
      incident_ = true;
      spdlog::warn(
          "inbox: work runs {} ms behind (events {} ms, sends {} ms, landed {} ms; limit {} ms); "
          "new webhooks wait up to {} ms before they are stored, until it catches up",
          late(), late_ms_[0], late_ms_[1], late_ms_[2], options_.late_limit.count(),
          options_.max_hold.count());
    }
    return;
  }
  room_.notify_all();
  // Under a steady overload the lateness hovers at the limit: the incident ends, and is
  // logged as over, only once the work is well within it.
  if (incident_ && late() <= options_.late_limit.count() / 2) {
    incident_ = false;
    spdlog::info("inbox: work caught up ({} ms behind); webhooks are stored at once", late());
  }
}

void IntakeGate::waitForRoom() {
  if (options_.late_limit.count() <= 0)
    return;
  std::unique_lock lock(mutex_);
  if (!overLimit())
    return;
  auto started = std::chrono::steady_clock::now();
  bool room = room_.wait_for(lock, options_.max_hold, [&] { return !overLimit(); });
  auto& m = MetricsRegistry::global();
  m.counterAdd("baraza_inbox_intake_holds_total", {});
  m.counterAdd("baraza_inbox_intake_hold_seconds_total", {},
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!room)
    m.counterAdd("baraza_inbox_intake_hold_timeouts_total", {});
}

void IntakeGate::open() {
  std::lock_guard lock(mutex_);
  open_ = true;
  room_.notify_all();
}

long long IntakeGate::lateMs() const {
  std::lock_guard lock(mutex_);
  return late();
}

}  // namespace baraza
