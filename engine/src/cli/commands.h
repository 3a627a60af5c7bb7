#pragma once

#include <string>

#include "config/engine_config.h"

namespace baraza {

int serveCommand(const EngineConfig& config);
int migrateCommand(const EngineConfig& config, bool status_only);
int checkConfigCommand(const EngineConfig& config);
int configDocsCommand(const EngineConfig& config);

// Applies the log.* keys; throws ConfigError on a bad level or format.
void applyLogConfig(const EngineConfig& config);

}  // namespace baraza
