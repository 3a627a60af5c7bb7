#include "http/router.h"

#include <nlohmann/json.hpp>

namespace baraza {

HttpResponse jsonError(int status, const std::string& error, const std::string& details) {
  HttpResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", error}, {"details", details}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 &&
               hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::string HttpRequest::queryParam(const std::string& name) const {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos)
      end = query.size();
    std::string pair = query.substr(pos, end - pos);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && percentDecode(pair.substr(0, eq)) == name) {
      return percentDecode(pair.substr(eq + 1));
    }
    pos = end + 1;
  }
  return "";
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
