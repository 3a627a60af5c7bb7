#pragma once

#include <string>

#include "http/router.h"

namespace baraza {

// The web console (docs/console.md): GET /console and GET /console/* answer the static files of
// `dir`, and /console/vendor/chart.js answers Debian's Chart.js (`chart_js`). Every answer
// carries a Content-Security-Policy without inline script, and is read from disk per request
// (small files; an upgrade shows without a restart). A path outside `dir`, or one with a
// character a console file name never has, is a 404.
void addConsoleRoutes(Router& router, const std::string& dir, const std::string& chart_js);

// The headers every console answer carries.
void addConsoleSecurityHeaders(HttpResponse& response);

}  // namespace baraza
