#include "storage/connection_watchdog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

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
  // A duplicate of the socket, held until release: libpq may close its own descriptor on an
  // error, and the number could then name another connection's socket by the time the
  // deadline passes. Shutting the duplicate down reaches the same socket, and only it.
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0)
    return {};
  long long id;
  bool sooner;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    watched_[id] = {own, deadline};
    sooner = deadline < next_wake_;
  }
  if (sooner)  // the loop sleeps until the earliest deadline; wake it only to bring that forward
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
  int own = -1;
  {
    std::lock_guard lock(mutex_);
    auto it = watched_.find(id);
    if (it == watched_.end())
      return;
    own = it->second.fd;
    watched_.erase(it);
  }
  ::close(own);
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
    int cut_now = 0;
    for (auto& [id, w] : watched_) {
      if (w.cut)
        continue;
      if (w.deadline <= now) {
        ::shutdown(w.fd, SHUT_RDWR);
        w.cut = true;
        ++cuts_;
        ++cut_now;
      } else if (w.deadline < next) {
        next = w.deadline;
      }
    }
    next_wake_ = next;
    if (cut_now > 0) {
      lock.unlock();  // no transaction waits on the log
      MetricsRegistry::global().counterAdd("baraza_database_connections_cut_total", {}, cut_now);
      spdlog::error(
          "database: {} transaction(s) outlived database.transaction_timeout_ms; their "
          "connections were cut (the database does not answer?)",
          cut_now);
      lock.lock();
      continue;
    }
    wake_.wait_until(lock, next);
  }
}

}  // namespace baraza
