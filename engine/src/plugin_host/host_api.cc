#include "plugin_host/host_api.h"

#include <string>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "plugin_host/plugin_host.h"

namespace baraza {
namespace {

void hostLog(baraza_host* host, baraza_log_level level, const char* msg, size_t msg_len) {
  if (!host || !msg)
    return;
  std::string_view text(msg, msg_len);
  switch (level) {
    case BARAZA_LOG_DEBUG:
      spdlog::debug("plugin {}: {}", host->plugin_name, text);
      break;
    case BARAZA_LOG_INFO:
      spdlog::info("plugin {}: {}", host->plugin_name, text);
      break;
    case BARAZA_LOG_WARN:
      spdlog::warn("plugin {}: {}", host->plugin_name, text);
      break;
    default:
      spdlog::error("plugin {}: {}", host->plugin_name, text);
      break;
  }
}

void hostCounterAdd(baraza_host* host, const char* name, const char* labels, double delta) {
  if (!host || !name)
    return;
  std::string problem = MetricsRegistry::isValidName(name);
  if (!problem.empty()) {
    spdlog::warn("plugin {}: counter_add refused: {}", host->plugin_name, problem);
    return;
  }
  if (!MetricsRegistry::global().counterAdd(name, MetricsRegistry::parseLabels(labels), delta)) {
    spdlog::warn("plugin {}: counter_add refused for {}: not a counter, or a bad delta",
                 host->plugin_name, name);
  }
}

void hostHttpReply(baraza_http_reply* reply, int status, const char* content_type, const char* body,
                   size_t body_len) {
  if (!reply || reply->answered)
    return;
  reply->answered = true;
  reply->status = (status >= 100 && status <= 599) ? status : 500;
  reply->content_type = content_type ? content_type : "application/json";
  reply->body.assign(body ? body : "", body ? body_len : 0);
}

int hostEmitInbound(baraza_host* host, const char* event_json, size_t event_len) {
  if (!host || !event_json)
    return 1;
  return host->owner->emitInbound(host->plugin_name, std::string_view(event_json, event_len));
}

int hostVerifyTokenKnown(baraza_host* host, const char* channel, const char* token, size_t len) {
  if (!host || !channel || !token)
    return 0;
  return host->owner->verifyTokenKnown(channel, std::string_view(token, len)) ? 1 : 0;
}

int hostTenantKnowledge(baraza_host* host, const char* tenant_id, void* sink_ctx,
                        baraza_sink_fn sink) {
  if (!host || !tenant_id || !sink || !host->owner->tenantData().knowledge)
    return 1;
  try {
    auto entries = host->owner->tenantData().knowledge(tenant_id);
    if (!entries)
      return 1;
    sink(sink_ctx, entries->data(), entries->size());
    return 0;
  } catch (const std::exception& e) {
    spdlog::warn("plugin {}: tenant_knowledge failed: {}", host->plugin_name, e.what());
    return 1;
  }
}

int hostTenantSecret(baraza_host* host, const char* tenant_id, const char* name, void* sink_ctx,
                     baraza_sink_fn sink) {
  if (!host || !tenant_id || !name || !sink || !host->owner->tenantData().secret)
    return 1;
  try {
    auto secret = host->owner->tenantData().secret(tenant_id, name);
    if (!secret)
      return 1;
    sink(sink_ctx, secret->data(), secret->size());
    return 0;
  } catch (const SecretError& e) {
    MetricsRegistry::global().counterAdd("baraza_secret_open_failures_total",
                                         {{"plugin", host->plugin_name}});
    spdlog::error("plugin {}: a secret of tenant {} does not open: {}", host->plugin_name,
                  tenant_id, e.what());
    return 2;
  } catch (const std::exception& e) {
    spdlog::warn("plugin {}: tenant_secret failed: {}", host->plugin_name, e.what());
    return 2;
  }
}

}  // namespace

std::unique_ptr<baraza_host_api> makeHostApi(baraza_host* host) {
  auto api = std::make_unique<baraza_host_api>();
  api->struct_size = sizeof(baraza_host_api);
  api->abi_major = BARAZA_PLUGIN_ABI_MAJOR;
  api->abi_minor = BARAZA_PLUGIN_ABI_MINOR;
  api->host_host_ptr = host;
  api->log = hostLog;
  api->counter_add = hostCounterAdd;
  api->http_reply = hostHttpReply;
  api->emit_inbound = hostEmitInbound;
  api->verify_token_known = hostVerifyTokenKnown;
  api->tenant_knowledge = hostTenantKnowledge;
  api->tenant_secret = hostTenantSecret;
  return api;
}

}  // namespace baraza
