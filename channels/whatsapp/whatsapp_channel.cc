#include "whatsapp_channel.h"

#include <chrono>
#include <cstddef>
#include <set>
#include <stdexcept>

#include <openssl/crypto.h>

#include "baraza/query_string.h"
#include "signature.h"
#include "webhook_parser.h"

namespace baraza::whatsapp {
namespace {

constexpr size_t kMaxChallenge = 256;

std::string errorJson(const std::string& error, const std::string& details) {
  return nlohmann::json{{"error", error}, {"details", details}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool equalConstantTime(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

const char* header(const baraza_http_request& request, const char* name) {
  for (size_t i = 0; i < request.header_count; ++i) {
    if (std::string(request.header_names[i]) == name)
      return request.header_values[i];
  }
  return nullptr;
}

// changes[].field values Meta documents; anything else is counted as "other" so that a label
// never carries arbitrary input.
std::string fieldLabel(const std::string& field) {
  static const std::set<std::string> known = {"account_alerts",
                                              "account_review_update",
                                              "account_update",
                                              "business_capability_update",
                                              "calls",
                                              "flows",
                                              "group_lifecycle_update",
                                              "group_participants_update",
                                              "group_participant_update",
                                              "group_settings_update",
                                              "history",
                                              "message_echoes",
                                              "message_template_quality_update",
                                              "message_template_status_update",
                                              "phone_number_name_update",
                                              "phone_number_quality_update",
                                              "security",
                                              "smb_app_state_sync",
                                              "smb_message_echoes",
                                              "template_category_update",
                                              "user_preferences"};
  return known.count(field) ? field : "other";
}

}  // namespace

ChannelConfig ChannelConfig::fromJson(const nlohmann::json& values) {
  ChannelConfig c;
  c.graph_base_url = values.value("graph_base_url", "https://graph.facebook.com");
  c.api_version = values.value("api_version", "v23.0");
  c.verify_token = values.value("verify_token", "");
  c.connect_timeout_ms = values.value("connect_timeout_ms", 3000L);
  c.request_timeout_ms = values.value("request_timeout_ms", 10000L);
  c.media_max_bytes = values.value("media_max_bytes", 104857600LL);
  c.dry_run = values.value("dry_run", false);
  if (c.connect_timeout_ms < 1 || c.request_timeout_ms < 1 || c.media_max_bytes < 1) {
    throw std::invalid_argument("timeouts and media_max_bytes must be positive");
  }
  std::set<std::string> names;
  if (values.contains("apps") && values["apps"].is_array()) {
    for (const auto& app : values["apps"]) {
      MetaApp a{app.value("name", "default"), app.value("app_secret", "")};
      if (!names.insert(a.name).second) {
        throw std::invalid_argument("apps: the name '" + a.name + "' is used twice");
      }
      if (a.app_secret.empty()) {
        throw std::invalid_argument("apps: app '" + a.name +
                                    "' has no app_secret (unset app_secret_env variable?)");
      }
      c.apps.push_back(a);
    }
  }
  return c;
}

WhatsAppChannel::WhatsAppChannel(const baraza_host_api* host, ChannelConfig config)
    : host_(host),
      config_(std::move(config)),
      graph_({config_.graph_base_url, config_.api_version, config_.connect_timeout_ms,
              config_.request_timeout_ms}) {
  if (config_.apps.empty()) {
    log(BARAZA_LOG_WARN,
        "no Meta app configured (channels.whatsapp.apps): every webhook POST "
        "gets 401 until one is");
  }
  if (config_.verify_token.empty()) {
    log(BARAZA_LOG_INFO,
        "no global verify_token: only tenant channels' own tokens pass Meta's "
        "handshake");
  }
}

void WhatsAppChannel::log(baraza_log_level level, const std::string& text) {
  host_->log(host_->host_host_ptr, level, text.data(), text.size());
}

void WhatsAppChannel::logRateLimited(const std::string& text) {
  // Forged requests must not flood the log: at most one such line per second.
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
  long long last = last_warning_ms_.load();
  if (now - last >= 1000 && last_warning_ms_.compare_exchange_strong(last, now)) {
    log(BARAZA_LOG_WARN, text);
  }
}

void WhatsAppChannel::count(const char* name, const std::string& labels, double delta) {
  host_->counter_add(host_->host_host_ptr, name, labels.empty() ? nullptr : labels.c_str(), delta);
}

void WhatsAppChannel::reply(const baraza_http_request& request, int status, const std::string& body,
                            const char* content_type) {
  host_->http_reply(request.reply_host_ptr, status, content_type, body.data(), body.size());
}

const MetaApp* WhatsAppChannel::appFor(const std::string& path, std::string& name) const {
  static const std::string prefix = "/webhook/whatsapp/";
  std::string rest = path.compare(0, prefix.size(), prefix) == 0 ? path.substr(prefix.size()) : "";
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  if (!rest.empty()) {
    name = rest;
    for (const auto& app : config_.apps) {
      if (app.name == name)
        return &app;
    }
    return nullptr;
  }
  name = "default";
  for (const auto& app : config_.apps) {
    if (app.name == "default")
      return &app;
  }
  if (config_.apps.size() == 1) {
    name = config_.apps[0].name;
    return &config_.apps[0];
  }
  return nullptr;
}

void WhatsAppChannel::onHttp(const baraza_http_request& request) {
  const std::string method = request.method;
  if (method == "GET")
    return handleVerify(request);
  if (method != "POST") {
    return reply(request, 405, errorJson("method_not_allowed", "use GET or POST"));
  }
  std::string name;
  const MetaApp* app = appFor(request.path, name);
  if (!app) {
    count("baraza_whatsapp_webhooks_total", "result=unknown_app");
    if (config_.apps.empty()) {
      return reply(request, 401,
                   errorJson("no_app_secret", "no Meta app is configured to check signatures"));
    }
    return reply(request, 404, errorJson("unknown_app", "no Meta app named '" + name + "'"));
  }
  handleWebhook(request, *app);
}

void WhatsAppChannel::handleVerify(const baraza_http_request& request) {
  std::string mode = queryParam(request.query, "hub.mode");
  std::string token = queryParam(request.query, "hub.verify_token");
  std::string challenge = queryParam(request.query, "hub.challenge");
  // The global token, or any active tenant channel's own (asked of the host, ABI 1.2).
  bool known = !config_.verify_token.empty() && equalConstantTime(token, config_.verify_token);
  if (!known && !token.empty() &&
      host_->struct_size >=
          offsetof(baraza_host_api, verify_token_known) + sizeof(host_->verify_token_known) &&
      host_->verify_token_known) {
    known = host_->verify_token_known(host_->host_host_ptr, "whatsapp", token.data(),
                                      token.size()) == 1;
  }
  bool ok = mode == "subscribe" && known && !challenge.empty() && challenge.size() <= kMaxChallenge;
  count("baraza_whatsapp_verifications_total", ok ? "result=ok" : "result=refused");
  if (!ok) {
    logRateLimited(std::string("webhook verification refused (") +
                   (mode == "subscribe" ? "" : "hub.mode is not subscribe, ") + "token " +
                   (token.empty() ? "missing" : "wrong or unset") + ")");
    return reply(request, 403,
                 errorJson("verification_failed",
                           "hub.mode must be subscribe and hub.verify_token must match"));
  }
  log(BARAZA_LOG_INFO, "webhook verification accepted");
  reply(request, 200, challenge, "text/plain");
}

void WhatsAppChannel::handleWebhook(const baraza_http_request& request, const MetaApp& app) {
  std::string_view body(request.body, request.body_len);
  SignatureCheck sig = checkSignature(header(request, "x-hub-signature-256"), app.app_secret, body);
  if (sig != SignatureCheck::kValid) {
    count("baraza_whatsapp_webhooks_total", "result=bad_signature");
    count("baraza_whatsapp_signature_failures_total",
          std::string("reason=") + signatureCheckName(sig));
    logRateLimited(std::string("webhook for app '") + app.name + "' refused: signature " +
                   signatureCheckName(sig) + " (request " + request.request_id + ")");
    return reply(request, 401,
                 errorJson("bad_signature",
                           std::string("X-Hub-Signature-256 is ") + signatureCheckName(sig)));
  }
  WebhookParse parsed = parseWebhook(body, app.name);
  // The engine lets an app deliver only for the numbers that belong to it (a channel's `app`).
  const bool serves_bare_path = app.name == "default" || config_.apps.size() == 1;
  for (auto& event : parsed.events)
    event["app_default"] = serves_bare_path;
  switch (parsed.outcome) {
    case WebhookOutcome::kInvalidJson:
    case WebhookOutcome::kNotAnObject:
      count("baraza_whatsapp_webhooks_total", "result=invalid_json");
      return reply(request, 400, errorJson("invalid_payload", parsed.problem));
    case WebhookOutcome::kOtherObject:
      count("baraza_whatsapp_webhooks_total", "result=ignored_object");
      return reply(request, 200, R"({"received":0,"ignored":"object"})");
    case WebhookOutcome::kEvents:
      break;
  }
  for (const auto& [field, n] : parsed.ignored_fields) {
    count("baraza_whatsapp_ignored_changes_total", "field=" + fieldLabel(field), n);
  }
  if (parsed.malformed > 0) {
    count("baraza_whatsapp_malformed_elements_total", "", parsed.malformed);
    logRateLimited("webhook had " + std::to_string(parsed.malformed) +
                   " element(s) of the wrong shape, skipped (request " + request.request_id + ")");
  }
  int refused = 0;
  if (host_->abi_minor >= 3) {
    // One call, one transaction: every event of this POST is stored, or none is.
    std::string all = nlohmann::json(parsed.events)
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (!parsed.events.empty() &&
        host_->emit_inbound(host_->host_host_ptr, all.data(), all.size()) != 0) {
      refused = static_cast<int>(parsed.events.size());
    }
  } else {
    for (const auto& event : parsed.events) {
      std::string text = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      if (host_->emit_inbound(host_->host_host_ptr, text.data(), text.size()) != 0)
        ++refused;
    }
  }
  if (refused == 0) {
    for (const auto& event : parsed.events)
      count("baraza_whatsapp_events_total", "kind=" + event.value("kind", std::string("?")));
  }
  if (refused > 0) {
    // 503 makes Meta deliver the whole payload again; events already taken are deduplicated
    // by their dedupe_key downstream.
    count("baraza_whatsapp_webhooks_total", "result=not_stored");
    return reply(request, 503,
                 errorJson("not_stored", std::to_string(refused) + " of " +
                                             std::to_string(parsed.events.size()) +
                                             " event(s) could not be stored; retry"));
  }
  count("baraza_whatsapp_webhooks_total", "result=accepted");
  reply(request, 200,
        nlohmann::json{{"received", parsed.events.size()},
                       {"ignored_changes", parsed.ignored_fields.size()}}
            .dump());
}

}  // namespace baraza::whatsapp
