#include "app/engine.h"

#include <spdlog/spdlog.h>

#include "admin/admin_api.h"
#include "http/console_routes.h"
#include "http/core_routes.h"
#include "plugin_host/account_verifier.h"
#include "storage/migrator.h"
#include "tenancy/plugin_tenant_data.h"
#include "tenancy/verify_tokens.h"

namespace baraza {

std::vector<Migration> configuredMigrations(const EngineConfig& config, Dialect dialect);

namespace {

int migrate(Database& db, const EngineConfig& config) {
  int applied = Migrator(db, configuredMigrations(config, db.dialect())).apply();
  spdlog::info("database {} ready ({} migration(s) applied)", db.displayUrl(), applied);
  return applied;
}

TenantDirectory& loaded(TenantDirectory& tenants) {
  tenants.loadAll();
  spdlog::info("{} tenant(s) cached at configuration generation {}", tenants.size(),
               tenants.generation());
  return tenants;
}

Inbox::Options inboxOptions(const PipelineConfig& config, const Database& db) {
  Inbox::Options options;
  if (config.sqlite_landing && db.dialect() == Dialect::kSqlite)
    options.landing_path = LandingJournal::pathBeside(db.url().sqlite_path);
  options.linger_us = config.group_commit_linger_us;
  options.store_timeout = std::chrono::milliseconds(config.store_timeout_ms);
  options.intake.late_limit = std::chrono::milliseconds(config.intake_late_ms);
  options.intake.max_hold = std::chrono::milliseconds(config.intake_hold_ms);
  return options;
}

int fillDigests(Database& db, const Sealer& sealer) {
  int filled = fillVerifyTokenDigests(db, sealer);
  if (filled > 0)
    spdlog::info("gave {} verify token(s) their lookup digest", filled);
  return filled;
}

}  // namespace

Engine::Engine(const EngineConfig& config)
    : config_(config),
      db_(config.database.url, config.database.pool_size,
          std::chrono::milliseconds(config.database.lease_timeout_ms),
          std::chrono::milliseconds(config.database.transaction_timeout_ms)),
      migrations_applied_(migrate(db_, config)),
      sealer_(Sealer::fromEnvironmentOrFile(config.master_key_file)),
      verify_digests_filled_(fillDigests(db_, sealer_)),
      tenants_(db_),
      inbox_(db_, systemNowMs, inboxOptions(config.pipeline, db_)),
      plugins_(loadPlugins(
          config, {[this](const std::string& channel, std::string_view events, size_t& count) {
                     return inbox_.accept(channel, events, count);
                   },
                   [this](const std::string& channel, std::string_view token) {
                     return isTenantVerifyToken(db_, sealer_, channel, token);
                   },
                   pluginTenantData(loaded(tenants_), sealer_)})),
      scripts_(config.scripting),
      pipeline_(db_, inbox_, sealer_, tenants_, *plugins_, scripts_, config.pipeline),
      script_files_(db_, config.scripting.limits),
      server_(std::make_unique<HttpServer>(config.server, routes())) {}

Engine::~Engine() {
  stop();
}

void Engine::stop() {
  if (!started_)
    return;
  started_ = false;
  server_->stop();  // no new webhooks; then the pipeline finishes what it holds
  pipeline_.stop();
  script_files_.stop();
  tenants_.stopPolling();
}

std::unique_ptr<PluginHost> Engine::loadPlugins(const EngineConfig& config,
                                                PluginHost::Services services) {
  auto plugins = std::make_unique<PluginHost>(std::move(services));
  plugins->loadConfigured(config.plugins);
  plugins->createAll(config);
  return plugins;
}

std::shared_ptr<Router> Engine::routes() {
  auto router = std::make_shared<Router>();
  addHealthRoute(*router, db_);
  addMetricsRoute(*router, config_.server.metrics_token);
  addPluginRoutes(*router, *plugins_, config_.server.channel_get_per_minute);
  addAdminRoutes(*router, db_, sealer_, &tenants_, config_.admin_token, &config_.scripting,
                 accountVerifier(*plugins_));
  if (config_.console.enabled)
    addConsoleRoutes(*router, config_.console.dir, config_.console.chart_js);
  return router;
}

void Engine::start() {
  started_ = true;
  tenants_.startPolling();
  if (config_.pipeline.enabled)
    pipeline_.start();
  else
    spdlog::info("pipeline.enabled is false: webhooks are stored, not processed, here");
  if (config_.scripting.dev_reload)
    script_files_.start();
  if (!config_.admin_token)
    spdlog::info("no admin.token: /admin/v1 accepts tenant API keys only");
  server_->start();
}

}  // namespace baraza
