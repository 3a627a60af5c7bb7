#include "loopback_channel.h"

#include "baraza/query_string.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

namespace baraza::loopback {
namespace {

std::string errorJson(const std::string& error, const std::string& details) {
  return nlohmann::json{{"error", error}, {"details", details}}.dump();
}

}  // namespace

LoopbackChannel::LoopbackChannel(const baraza_host_api* host, size_t max_sent, int max_delay_ms)
    : host_(host), max_sent_(max_sent), max_delay_ms_(max_delay_ms) {}

void LoopbackChannel::log(baraza_log_level level, const std::string& text) {
  host_->log(host_->host_host_ptr, level, text.data(), text.size());
}

void LoopbackChannel::reply(const baraza_http_request& request, int status,
                            const std::string& body) {
  host_->http_reply(request.reply_host_ptr, status, "application/json", body.data(), body.size());
}

void LoopbackChannel::onHttp(const baraza_http_request& request) {
  const std::string method = request.method;
  const std::string path = request.path;
  if (path == "/channels/loopback/messages" && method == "POST") {
    auto event =
        nlohmann::json::parse(request.body, request.body + request.body_len, nullptr, false);
    if (event.is_discarded() || !event.is_object()) {
      host_->counter_add(host_->host_host_ptr, "baraza_loopback_rejected_total", "reason=json", 1);
      return reply(request, 400, errorJson("invalid_json", "body must be a JSON object"));
    }
    std::string text = event.dump();
    if (host_->emit_inbound(host_->host_host_ptr, text.data(), text.size()) != 0) {
      return reply(request, 503, errorJson("not_accepted", "the engine refused the event"));
    }
    return reply(request, 202, R"({"accepted":true})");
  }
  if (path == "/channels/loopback/sent" && method == "GET") {
    nlohmann::json list = nlohmann::json::array();
    {
      std::lock_guard lock(mutex_);
      for (const auto& m : sent_)
        list.push_back(nlohmann::json::parse(m));
    }
    return reply(request, 200, list.dump());
  }
  if (path == "/channels/loopback/echo" && method == "POST") {
    // Answers after delay_ms (capped by max_delay_ms): lets tests hold a request in flight.
    std::string text = queryParam(request.query, "delay_ms");
    int delay = 0;
    std::from_chars(text.data(), text.data() + text.size(), delay);
    if (delay > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(delay, max_delay_ms_)));
    }
    return reply(request, 200, std::string(request.body, request.body_len));
  }
  if (path == "/channels/loopback/headers" && method == "GET") {
    nlohmann::json headers = nlohmann::json::object();
    for (size_t i = 0; i < request.header_count; ++i) {
      headers[request.header_names[i]] = request.header_values[i];
    }
    return reply(request, 200, headers.dump());
  }
  reply(request, 404, errorJson("not_found", "loopback has no " + method + " " + path));
}

int LoopbackChannel::send(const char* message, size_t len, char* result, size_t cap) {
  auto parsed = nlohmann::json::parse(message, message + len, nullptr, false);
  std::string out;
  int rc = 0;
  if (parsed.is_discarded() || !parsed.is_object()) {
    out = errorJson("invalid_json", "outbound message must be a JSON object");
    rc = 1;
  } else {
    std::lock_guard lock(mutex_);
    std::string id = "loopback-" + std::to_string(next_id_++);
    parsed["id"] = id;
    sent_.push_back(parsed.dump());
    while (sent_.size() > max_sent_)
      sent_.pop_front();
    out = nlohmann::json{{"id", id}}.dump();
  }
  if (cap > 0) {
    std::strncpy(result, out.c_str(), cap - 1);
    result[cap - 1] = '\0';
  }
  return rc;
}

}  // namespace baraza::loopback
