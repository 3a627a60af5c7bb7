#include "http/console_routes.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

namespace baraza {
namespace {

const char* contentType(const std::string& path) {
  auto ends = [&](const char* suffix) {
    std::string s(suffix);
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".html"))
    return "text/html; charset=utf-8";
  if (ends(".js"))
    return "text/javascript; charset=utf-8";
  if (ends(".css"))
    return "text/css; charset=utf-8";
  if (ends(".svg"))
    return "image/svg+xml";
  if (ends(".png"))
    return "image/png";
  if (ends(".json"))
    return "application/json";
  return "application/octet-stream";
}

// "app/inbox.js" is a console file name; "../x", "/etc", "a//b" and "%2e" are not.
bool safeRelativePath(const std::string& rel) {
  if (rel.empty() || rel.front() == '/' || rel.front() == '.' || rel.size() > 200)
    return false;
  for (char c : rel) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == '/';
    if (!ok)
      return false;
  }
  return rel.find("..") == std::string::npos && rel.find("//") == std::string::npos &&
         rel.find("/.") == std::string::npos;
}

HttpResponse fileResponse(const std::string& file, const std::string& type_of) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return jsonError(404, "not_found", "no console file here");
  std::ostringstream body;
  body << in.rdbuf();
  HttpResponse r;
  r.content_type = contentType(type_of);
  r.body = body.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

void addConsoleSecurityHeaders(HttpResponse& response) {
  // No inline script or style, nothing from another origin, no framing.
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
      "frame-ancestors 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
}

void addConsoleRoutes(Router& router, const std::string& dir, const std::string& chart_js) {
  std::ifstream probe(dir + "/index.html");
  if (!probe)
    spdlog::warn("console: no {}/index.html; /console answers 404 (console.dir)", dir);
  auto index = [dir](const HttpRequest&) {
    HttpResponse r = fileResponse(dir + "/index.html", "index.html");
    addConsoleSecurityHeaders(r);
    return r;
  };
  router.add("GET", "/console", index);
  router.add("GET", "/console/*", [dir, chart_js, index](const HttpRequest& req) {
    std::string rel = req.path.substr(std::string("/console/").size());
    HttpResponse r;
    if (rel.empty())
      return index(req);
    if (rel == "vendor/chart.js")
      r = fileResponse(chart_js, rel);
    else if (safeRelativePath(rel))
      r = fileResponse(dir + "/" + rel, rel);
    else
      r = jsonError(404, "not_found", "no console file here");
    addConsoleSecurityHeaders(r);
    return r;
  });
}

}  // namespace baraza
