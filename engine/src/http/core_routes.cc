#include "http/core_routes.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/metrics.h"
#include "core/version.h"
#include "http/address_limiter.h"

namespace baraza {

void addHealthRoute(Router& router, Database& db) {
  auto& metrics = MetricsRegistry::global();
  metrics.describe("baraza_database_up", "gauge", "1 when the database answered the last check.");
  metrics.describe("baraza_database_check_failures_total", "counter",
                   "Health checks the database did not answer.");
  auto was_up = std::make_shared<std::atomic<bool>>(true);
  router.add("GET", "/health", [&db, was_up](const HttpRequest&) {
    bool up = db.ping();
    auto& m = MetricsRegistry::global();
    m.gaugeSet("baraza_database_up", {}, up ? 1 : 0);
    if (!up)
      m.counterAdd("baraza_database_check_failures_total", {});
    // Logged once per incident: on the change, not on every failing check.
    if (was_up->exchange(up) != up) {
      if (up) {
        spdlog::info("database {} answers again", db.displayUrl());
      } else {
        spdlog::error("database {} does not answer: /health reports 503", db.displayUrl());
      }
    }
    HttpResponse r;
    r.status = up ? 200 : 503;
    r.body = nlohmann::json{{"status", up ? "ok" : "unavailable"},
                            {"database", up ? "ok" : "unreachable"},
                            {"version", kVersion}}
                 .dump();
    return r;
  });
}

void addMetricsRoute(Router& router, std::optional<std::string> token) {
  router.add("GET", "/metrics", [token](const HttpRequest& req) {
    if (token) {
      std::string given = req.header("authorization").value_or("");
      std::string wanted = "Bearer " + *token;
      if (given.size() != wanted.size() ||
          CRYPTO_memcmp(given.data(), wanted.data(), wanted.size()) != 0) {
        HttpResponse refused = jsonError(
            401, "unauthorized", "/metrics needs Authorization: Bearer <server.metrics_token>");
        refused.headers.emplace_back("WWW-Authenticate", "Bearer");
        return refused;
      }
    }
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = MetricsRegistry::global().renderPrometheus();
    return r;
  });
}

namespace {

long long steadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The 429 for a GET over the limit, or nothing.
std::optional<HttpResponse> overGetLimit(AddressLimiter* limiter, const HttpRequest& req,
                                         const std::string& plugin) {
  int retry_after = 0;
  if (!limiter || req.method != "GET" ||
      limiter->allow(req.client_address, steadyMs(), retry_after))
    return std::nullopt;
  MetricsRegistry::global().counterAdd("baraza_http_rate_limited_total",
                                       {{"route", "channel_get"}, {"channel", plugin}});
  static std::atomic<long long> last_log_ms{0};
  long long now = steadyMs();
  if (now - last_log_ms.load() > 10000) {  // at most one line per 10 s
    last_log_ms = now;
    spdlog::warn(
        "GET /webhook rate limit reached by {} (server.channel_get_per_minute); 429 "
        "until it slows down",
        req.client_address.empty() ? "an unknown address" : req.client_address);
  }
  HttpResponse r = jsonError(429, "rate_limited",
                             "too many GET requests to this channel's webhook from your address; "
                             "retry after " +
                                 std::to_string(retry_after) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return r;
}

}  // namespace

void addPluginRoutes(Router& router, PluginHost& host, int get_per_minute) {
  MetricsRegistry::global().describe("baraza_http_rate_limited_total", "counter",
                                     "Requests refused with 429 by a per-address limit.");
  std::shared_ptr<AddressLimiter> limiter;
  if (get_per_minute > 0)
    limiter = std::make_shared<AddressLimiter>(get_per_minute);
  for (const auto& plugin : host.plugins()) {
    if (!plugin->channel || !plugin->instance)
      continue;
    const LoadedPlugin* p = plugin.get();
    for (const auto& pattern : p->http_paths) {
      router.add("*", pattern, [p, limiter](const HttpRequest& req) {
        if (auto refused = overGetLimit(limiter.get(), req, p->name))
          return *refused;
        baraza_http_reply reply;
        baraza_http_request call{};
        call.method = req.method.c_str();
        call.path = req.path.c_str();
        call.query = req.query.c_str();
        call.body = req.body.data();
        call.body_len = req.body.size();
        call.request_id = req.request_id.c_str();
        std::vector<const char*> names;
        std::vector<const char*> values;
        for (const auto& [name, value] : req.headers) {
          names.push_back(name.c_str());
          values.push_back(value.c_str());
        }
        call.header_names = names.data();
        call.header_values = values.data();
        call.header_count = names.size();
        call.reply_host_ptr = &reply;
        p->channel->on_http(p->instance, &call);
        if (!reply.answered) {
          spdlog::error("plugin {} left {} {} unanswered", p->name, req.method, req.path);
          return jsonError(500, "plugin_error", "plugin " + p->name + " gave no answer");
        }
        HttpResponse r;
        r.status = reply.status;
        r.content_type = reply.content_type;
        r.body = std::move(reply.body);
        return r;
      });
    }
  }
}

}  // namespace baraza
