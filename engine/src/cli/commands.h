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

// Applies the log.* keys; throws ConfigError on a bad level or format.
void applyLogConfig(const EngineConfig& config);

}  // namespace baraza
