#pragma once

#include "http/router.h"
#include "plugin_host/plugin_host.h"
#include "storage/database.h"

namespace baraza {

// GET /health: {"status","database","version"}; 503 while the database does not answer.
void addHealthRoute(Router& router, Database& db);
// GET /metrics: Prometheus text of the global registry.
void addMetricsRoute(Router& router);
// Every http_path of every created channel plugin, answered by its on_http hook.
void addPluginRoutes(Router& router, PluginHost& host);

}  // namespace baraza
