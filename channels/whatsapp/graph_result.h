#pragma once

// The JSON results the channel's outbound hooks write back to the host, and what they share:
// reading the request's account, and turning a Graph API error into a result.
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "graph_client.h"

namespace baraza::whatsapp {

// Writes `result` into the caller's buffer and returns rc. When it does not fit, a shorter
// answer that keeps "ok" does, or else an empty string: never a cut, invalid JSON.
int finish(const nlohmann::json& result, char* out, size_t cap, int rc);

// A string field, or "" when it is absent or of another type: input is untrusted.
std::string str(const nlohmann::json& obj, const char* key);

// {"ok": false, "class": "fatal", "reason": "invalid_request", "details"}.
nlohmann::json invalid(const std::string& details);

struct Account {
  std::string phone_number_id;
  std::string token;
};
// The request's "account": {phone_number_id (digits), access_token (a header-safe token)}.
bool account(const nlohmann::json& request, Account& a, std::string& problem);

// A failed Graph answer (or no answer) as a result: {"ok": false, "class", "reason",
// "retry_after_ms", "http_status", "code", "subcode", "message", "details"}.
nlohmann::json graphFailure(const GraphResponse& r);

}  // namespace baraza::whatsapp
