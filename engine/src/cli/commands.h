#pragma once

#include <string>
#include <vector>

#include "config/engine_config.h"

namespace baraza {

int serveCommand(const EngineConfig& config);
int migrateCommand(const EngineConfig& config, bool status_only);
int checkConfigCommand(const EngineConfig& config);
int configDocsCommand(const EngineConfig& config);
int keysRotateCommand(const EngineConfig& config);
int tenantImportCommand(const EngineConfig& config, const std::vector<std::string>& files);

struct SimulateOptions {
  std::string tenant;
  std::string from = "254700000001";
  std::string text;
  bool wait = false;
};
int simulateCommand(const EngineConfig& config, const SimulateOptions& options);

struct ScriptOptions {
  std::string verb;  // check, test, docs
  std::string file, message, from = "254700000001", tenant, tenant_file, at;
};
int scriptCommand(const EngineConfig& config, const ScriptOptions& options);

// Applies the log.* keys; throws ConfigError on a bad level or format.
void applyLogConfig(const EngineConfig& config);

}  // namespace baraza
