#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/http_types.h"

namespace baraza {

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

// Maps method and path to a handler. A pattern ending in "/*" matches that prefix and below.
// Each route has a label (its pattern) so metrics stay bounded whatever paths clients send.
class Router {
 public:
  void add(const std::string& method, const std::string& pattern, RouteHandler handler);

  struct Match {
    const RouteHandler* handler = nullptr;  // null: no route (see status)
    std::string label;                      // the pattern, or "unmatched"
    int status = 200;                       // 404 or 405 when handler is null
    std::string allow;                      // methods allowed, for 405
  };
  Match match(const std::string& method, const std::string& path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    RouteHandler handler;
  };
  static bool matches(const std::string& pattern, const std::string& path);
  std::vector<Route> routes_;
};

}  // namespace baraza
