#include "graph_result.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "graph_errors.h"

namespace baraza::whatsapp {

using json = nlohmann::json;

namespace {

// Copies `text` and its NUL into out[cap] when it fits.
bool fits(const std::string& text, char* out, size_t cap) {
  if (text.size() + 1 > cap)
    return false;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return true;
}

json failure(const GraphErrorVerdict& v) {
  json r{{"ok", false}, {"class", graphErrorClassName(v.cls)}, {"reason", v.reason}};
  if (v.cls == GraphErrorClass::kRetryLater)
    r["retry_after_ms"] = v.delay.count();
  return r;
}

}  // namespace

int finish(const json& result, char* out, size_t cap, int rc) {
  if (cap == 0)
    return rc;
  std::string text = result.dump(-1, ' ', false, json::error_handler_t::replace);
  if (fits(text, out, cap))
    return rc;
  json brief{{"ok", result.value("ok", false)}};
  if (result.contains("class"))
    brief["class"] = result["class"];
  if (result.contains("id"))
    brief["id"] = result["id"];
  if (fits(brief.dump(), out, cap))
    return rc;
  if (fits(rc == 0 ? R"({"ok":true})" : R"({"ok":false})", out, cap))
    return rc;
  out[0] = '\0';
  return rc;
}

std::string str(const json& obj, const char* key) {
  if (!obj.is_object())
    return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

json invalid(const std::string& details) {
  return {{"ok", false}, {"class", "fatal"}, {"reason", "invalid_request"}, {"details", details}};
}

bool account(const json& request, Account& a, std::string& problem) {
  auto it = request.find("account");
  if (it == request.end() || !it->is_object()) {
    problem = "account {phone_number_id, access_token} is required";
    return false;
  }
  a.phone_number_id = str(*it, "phone_number_id");
  a.token = str(*it, "access_token");
  if (a.phone_number_id.empty() || a.token.empty()) {
    problem = "account needs phone_number_id and access_token";
    return false;
  }
  if (a.phone_number_id.find_first_not_of("0123456789") != std::string::npos) {
    problem = "account.phone_number_id must be digits";
    return false;
  }
  for (unsigned char c : a.token) {
    if (c < 0x21 || c > 0x7e) {  // it goes into a header line
      problem = "account.access_token has characters a bearer token cannot have";
      return false;
    }
  }
  return true;
}

// Meta's error body: {"error": {"code", "error_subcode", "message", "is_transient",
// "error_data": {"details"}}}.
json graphFailure(const GraphResponse& r) {
  if (r.http_status == 0) {
    json f = failure(classifyGraphError(0, 0, 0, false));
    f["details"] = r.transport_error;
    return f;
  }
  json body = json::parse(r.body, nullptr, false);
  const json& e = body.is_object() && body.contains("error") && body["error"].is_object()
                      ? body["error"]
                      : json::object();
  auto number = [&](const char* key) {
    auto it = e.find(key);
    return it != e.end() && it->is_number_integer() ? it->get<long long>() : 0LL;
  };
  bool transient =
      e.contains("is_transient") && e["is_transient"].is_boolean() && e["is_transient"].get<bool>();
  GraphErrorVerdict verdict =
      classifyGraphError(r.http_status, number("code"), number("error_subcode"), transient);
  // A Retry-After the server sent says when to come back better than the code's default
  // (capped: an hour is as long as a reply may sensibly wait).
  if (verdict.cls == GraphErrorClass::kRetryLater && r.retry_after_s > 0)
    verdict.delay = std::chrono::seconds(std::min<long long>(r.retry_after_s, 3600));
  json f = failure(verdict);
  f["http_status"] = r.http_status;
  f["code"] = number("code");
  if (number("error_subcode"))
    f["subcode"] = number("error_subcode");
  if (e.contains("message") && e["message"].is_string())
    f["message"] = e["message"];
  if (e.contains("error_data") && e["error_data"].is_object() &&
      e["error_data"].contains("details") && e["error_data"]["details"].is_string()) {
    f["details"] = e["error_data"]["details"];
  }
  return f;
}

}  // namespace baraza::whatsapp
