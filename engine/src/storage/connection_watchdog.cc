#include "storage/connection_watchdog.h"

#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {

ConnectionWatchdog::ConnectionWatchdog() {
  MetricsRegistry::global().describe(
      "baraza_database_connections_cut_total", "counter",
      "Connections cut because a transaction outlived database.transaction_timeout_ms.");
  thread_ = std::thread([this] { loop(); });
}

ConnectionWatchdog::~ConnectionWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

ConnectionWatchdog::Guard& ConnectionWatchdog::Guard::operator=(Guard&& other) noexcept {
  if (this != &other) {
    if (watchdog_)
      watchdog_->release(id_);
    watchdog_ = other.watchdog_;
    id_ = other.id_;
    other.watchdog_ = nullptr;
  }
  return *this;
}

ConnectionWatchdog::Guard::~Guard() {
  if (watchdog_)
    watchdog_->release(id_);
}

bool ConnectionWatchdog::Guard::cut() const {
  return watchdog_ && watchdog_->wasCut(id_);
}

ConnectionWatchdog::Guard ConnectionWatchdog::watch(int fd, std::chrono::milliseconds timeout) {
  long long id;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    watched_[id] = {fd, std::chrono::steady_clock::now() + timeout};
  }
  wake_.notify_all();
  return Guard(this, id);
}

long long ConnectionWatchdog::cuts() const {
  std::lock_guard lock(mutex_);
  return cuts_;
}

// Under the mutex, so the loop never shuts down a socket its owner has let go of (and whose
// number the system may have given to another).
void ConnectionWatchdog::release(long long id) {
  std::lock_guard lock(mutex_);
  watched_.erase(id);
}

bool ConnectionWatchdog::wasCut(long long id) const {
  std::lock_guard lock(mutex_);
  auto it = watched_.find(id);
  return it != watched_.end() && it->second.cut;
}

void ConnectionWatchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::seconds(1);
    for (auto& [id, w] : watched_) {
      if (w.cut)
        continue;
      if (w.deadline <= now) {
        ::shutdown(w.fd, SHUT_RDWR);
        w.cut = true;
        ++cuts_;
        MetricsRegistry::global().counterAdd("baraza_database_connections_cut_total", {});
        spdlog::error(
            "database: a transaction outlived database.transaction_timeout_ms; its connection "
            "was cut (the database does not answer?)");
      } else if (w.deadline < next) {
        next = w.deadline;
      }
    }
    wake_.wait_until(lock, next);
  }
}

}  // namespace baraza
