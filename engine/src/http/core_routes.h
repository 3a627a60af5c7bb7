#pragma once

#include "http/router.h"
#include "plugin_host/plugin_host.h"
#include "storage/database.h"

namespace baraza {

// GET /health: {"status","database","version"}; 503 while the database does not answer.
void addHealthRoute(Router& router, Database& db);
// GET /metrics: Prometheus text of the global registry.
// GET /metrics; with a token, only for `Authorization: Bearer <token>` (else 401).
void addMetricsRoute(Router& router, std::optional<std::string> token = std::nullopt);
// Every http_path of every created channel plugin, answered by its on_http hook.
// Channel plugins' routes. GET requests (Meta's handshake, which reads the database for an
// unauthenticated caller) are limited per client address when `get_per_minute` > 0: over it,
// 429 with Retry-After, counted in baraza_http_rate_limited_total.
void addPluginRoutes(Router& router, PluginHost& host, int get_per_minute);

}  // namespace baraza
