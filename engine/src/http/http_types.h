#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace baraza {

struct HttpRequest {
  std::string method;                          // "GET"
  std::string path;                            // without the query string
  std::string query;                           // without '?'
  std::string body;                            // raw bytes as received
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string request_id;
  std::string client_address;  // the peer's IP address ("" when unknown)

  std::optional<std::string> header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
  }
  // The first `name=value` of the query string, percent-decoded; "" when absent.
  std::string queryParam(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": short, "details": what and where}, the contract's error shape.
HttpResponse jsonError(int status, const std::string& error, const std::string& details);

}  // namespace baraza
