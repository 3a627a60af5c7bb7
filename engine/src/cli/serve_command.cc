#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "admin/admin_api.h"
#include "cli/commands.h"
#include "core/metrics.h"
#include "core/version.h"
#include "http/core_routes.h"
#include "http/http_server.h"
#include "pipeline/pipeline.h"
#include "plugin_host/plugin_host.h"
#include "scripting/script_file_watcher.h"
#include "security/sealer.h"
#include "storage/migrator.h"
#include "tenancy/plugin_tenant_data.h"
#include "tenancy/tenant_directory.h"
#include "tenancy/token_expiry.h"
#include "tenancy/verify_tokens.h"

namespace baraza {

std::vector<Migration> configuredMigrations(const EngineConfig& config, Dialect dialect);

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

// Channels' events go to the pipeline's inbox; before it exists (start-up) they are refused,
// so the channel answers 503 and Meta delivers them again.
std::atomic<Pipeline*> g_pipeline{nullptr};

int acceptInbound(const std::string& channel, std::string_view events_json, size_t& events) {
  Pipeline* pipeline = g_pipeline.load();
  return pipeline ? pipeline->accept(channel, events_json, events) : 1;
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

  Database db(config.database.url, config.database.pool_size,
              std::chrono::milliseconds(config.database.lease_timeout_ms));
  int applied = Migrator(db, configuredMigrations(config, db.dialect())).apply();
  spdlog::info("database {} ready ({} migration(s) applied)", db.displayUrl(), applied);

  Sealer sealer = Sealer::fromEnvironmentOrFile(config.master_key_file);
  PluginHost plugins(acceptInbound);
  plugins.setVerifyTokenCheck([&db, &sealer](const std::string& channel, std::string_view token) {
    return isTenantVerifyToken(db, sealer, channel, token);
  });
  plugins.loadConfigured(config.plugins);
  plugins.createAll(config);

  auto router = std::make_shared<Router>();
  addHealthRoute(*router, db);
  addMetricsRoute(*router);
  addPluginRoutes(*router, plugins);
  TenantDirectory tenants(db);
  tenants.loadAll();
  tenants.startPolling();
  spdlog::info("{} tenant(s) cached at configuration generation {}", tenants.size(),
               tenants.generation());
  plugins.setTenantData(pluginTenantData(tenants, sealer));
  Pipeline pipeline(db, sealer, tenants, plugins, config.pipeline);
  pipeline.configureScripting(config.scripting);
  g_pipeline = &pipeline;
  struct Unpublish {
    ~Unpublish() { g_pipeline = nullptr; }
  } unpublish;
  if (config.pipeline.enabled) {
    pipeline.start();
  } else {
    spdlog::info("pipeline.enabled is false: webhooks are stored, not processed, here");
  }
  addAdminRoutes(*router, db, sealer, &tenants, config.admin_token, &config.scripting);
  ScriptFileWatcher script_files(db, config.scripting.limits);
  if (config.scripting.dev_reload)
    script_files.start();
  if (!config.admin_token) {
    spdlog::info("no admin.token: /admin/v1 accepts tenant API keys only");
  }

  checkTokenExpiry(db);  // alerts are in the log and /metrics before the first request
  HttpServer server(config.server, router);
  server.start();
  MetricsRegistry::global().gaugeSet("baraza_build_info", {{"version", kVersion}}, 1);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  spdlog::info("baraza {} listening on http://{}:{} ({} threads, {} plugin(s), ready in {} ms)",
               kVersion, config.server.host, server.port(), config.server.threads,
               plugins.plugins().size(), ms);

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
  server.stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace baraza
