#include "http/router.h"

#include <nlohmann/json.hpp>

#include "baraza/query_string.h"

namespace baraza {

HttpResponse jsonError(int status, const std::string& error, const std::string& details) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", error}, {"details", details}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

std::string HttpRequest::queryParam(const std::string& name) const {
  return baraza::queryParam(query, name);
}

void Router::add(const std::string& method, const std::string& pattern, RouteHandler handler) {
  routes_.push_back({method, pattern, std::move(handler)});
}

bool Router::matches(const std::string& pattern, const std::string& path) {
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0) {
    std::string base = pattern.substr(0, pattern.size() - 2);
    return path == base || path.compare(0, base.size() + 1, base + "/") == 0;
  }
  return pattern == path;
}

Router::Match Router::match(const std::string& method, const std::string& path) const {
  Match m;
  m.label = "unmatched";
  m.status = 404;
  for (const auto& route : routes_) {
    if (!matches(route.pattern, path))
      continue;
    if (route.method == method || route.method == "*") {
      m.handler = &route.handler;
      m.label = route.pattern;
      m.status = 200;
      return m;
    }
    m.status = 405;
    m.label = route.pattern;
    if (!m.allow.empty())
      m.allow += ", ";
    m.allow += route.method;
  }
  return m;
}

}  // namespace baraza
