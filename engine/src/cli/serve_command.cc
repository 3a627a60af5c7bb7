#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "app/engine.h"
#include "cli/commands.h"
#include "core/metrics.h"
#include "core/version.h"
#include "tenancy/token_expiry.h"

namespace baraza {
namespace {

// Blocks SIGTERM and SIGINT in this thread and every thread started after it, so that only
// sigwait() below sees them.
sigset_t blockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

void checkTokenExpiry(Database& db) {
  try {
    reportExpiringTokens(db);
  } catch (const std::exception& e) {
    spdlog::warn("token expiry check failed: {}", e.what());
  }
}

}  // namespace

int serveCommand(const EngineConfig& config) {
  sigset_t signals = blockShutdownSignals();
  auto started = std::chrono::steady_clock::now();
  Engine engine(config);
  Database& db = engine.database();
  checkTokenExpiry(db);  // alerts are in the log and /metrics before the first request
  engine.start();
  HttpServer& server = engine.server();
  MetricsRegistry::global().gaugeSet("baraza_build_info", {{"version", kVersion}}, 1);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  spdlog::info("baraza {} listening on http://{}:{} ({} threads, {} plugin(s), ready in {} ms)",
               kVersion, config.server.host, server.port(), config.server.threads,
               engine.plugins().plugins().size(), ms);

  // Token-expiry alerts: hourly until shutdown; the first check ran before "listening".
  std::mutex alert_mutex;
  std::condition_variable alert_wake;
  bool stopping = false;
  std::thread alert_thread([&] {
    std::unique_lock lock(alert_mutex);
    while (!alert_wake.wait_for(lock, std::chrono::hours(1), [&] { return stopping; })) {
      lock.unlock();
      checkTokenExpiry(db);
      lock.lock();
    }
  });
  struct StopAlerts {
    std::mutex& m;
    std::condition_variable& cv;
    bool& stopping;
    std::thread& t;
    ~StopAlerts() {
      {
        std::lock_guard lock(m);
        stopping = true;
      }
      cv.notify_all();
      t.join();
    }
  } stop_alerts{alert_mutex, alert_wake, stopping, alert_thread};

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}: draining (up to {} ms)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
               config.server.shutdown_timeout_ms);
  bool clean = server.drain(std::chrono::milliseconds(config.server.shutdown_timeout_ms));
  if (!clean) {
    // A handler still running holds its reactor thread, and joining it could take any time:
    // the bound wins. SQLite (WAL) and PostgreSQL both survive a process that ends here.
    spdlog::warn("{} request(s) still running after {} ms; exiting without them", server.inFlight(),
                 config.server.shutdown_timeout_ms);
    MetricsRegistry::global().counterAdd("baraza_shutdown_cut_requests_total", {},
                                         server.inFlight());
    spdlog::default_logger()->flush();
    std::_Exit(0);
  }
  engine.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace baraza
