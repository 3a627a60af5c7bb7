#pragma once

#include <memory>

#include "config/engine_config.h"
#include "http/http_server.h"
#include "http/router.h"
#include "pipeline/inbox.h"
#include "pipeline/pipeline.h"
#include "plugin_host/plugin_host.h"
#include "scripting/script_file_watcher.h"
#include "scripting/script_host.h"
#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// The composition root of `baraza serve`: every part built once, in order, each handed what
// it needs at construction (no global, no setter afterwards), and torn down in reverse:
//
//   database (migrated) ─► sealer ─► tenant directory ─► inbox ─► plugins (their events go
//   to the inbox) ─► scripts ─► pipeline ─► routes ─► HTTP server
//
// Webhooks are stored from the moment the plugins exist; start() sets the pipeline, the
// pollers and the server going.
class Engine {
 public:
  explicit Engine(const EngineConfig& config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void start();
  // Stops the server (after serve's drain), then the pipeline with what it holds, then the
  // pollers. Also done by the destructor.
  void stop();
  Database& database() { return db_; }
  HttpServer& server() { return *server_; }
  const PluginHost& plugins() const { return *plugins_; }
  const TenantDirectory& tenants() const { return tenants_; }
  int migrationsApplied() const { return migrations_applied_; }

 private:
  static std::unique_ptr<PluginHost> loadPlugins(const EngineConfig& config,
                                                 PluginHost::Services services);
  std::shared_ptr<Router> routes();

  const EngineConfig& config_;
  Database db_;
  int migrations_applied_;
  Sealer sealer_;
  int verify_digests_filled_;  // rows given a verify token digest at start
  TenantDirectory tenants_;
  Inbox inbox_;
  std::unique_ptr<PluginHost> plugins_;
  ScriptHost scripts_;
  Pipeline pipeline_;
  ScriptFileWatcher script_files_;
  std::unique_ptr<HttpServer> server_;
  bool started_ = false;
};

}  // namespace baraza
