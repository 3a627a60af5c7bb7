#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace baraza {

// Cuts a database connection whose transaction outlives its deadline. libpq has no client-side
// query timeout: a connection whose server stopped answering without a reset (a black-holed
// route, a frozen host, a proxy that swallows bytes) blocks its thread until TCP gives up, and
// with the inbox writer that is every webhook. Shutting the socket down makes the blocked call
// fail at once; the pool opens the connection again on its next use.
class ConnectionWatchdog {
 public:
  ConnectionWatchdog();
  ~ConnectionWatchdog();
  ConnectionWatchdog(const ConnectionWatchdog&) = delete;
  ConnectionWatchdog& operator=(const ConnectionWatchdog&) = delete;

  // While the returned guard lives, the socket `fd` is shut down once `timeout` has passed.
  class Guard {
   public:
    Guard() = default;
    Guard(ConnectionWatchdog* watchdog, long long id) : watchdog_(watchdog), id_(id) {}
    Guard(Guard&& other) noexcept : watchdog_(other.watchdog_), id_(other.id_) {
      other.watchdog_ = nullptr;
    }
    Guard& operator=(Guard&& other) noexcept;
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    ~Guard();
    // Whether the watchdog cut the connection while this guard watched it.
    bool cut() const;

   private:
    ConnectionWatchdog* watchdog_ = nullptr;
    long long id_ = 0;
  };

  Guard watch(int fd, std::chrono::milliseconds timeout);
  long long cuts() const;

 private:
  struct Watched {
    int fd;
    std::chrono::steady_clock::time_point deadline;
    bool cut = false;
  };
  void release(long long id);
  bool wasCut(long long id) const;
  void loop();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<long long, Watched> watched_;
  long long next_id_ = 1;
  long long cuts_ = 0;
  std::chrono::steady_clock::time_point next_wake_{};  // when the loop looks again
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace baraza
