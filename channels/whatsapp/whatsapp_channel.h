#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "baraza/plugin_api.h"
#include "graph_client.h"

namespace baraza::whatsapp {

struct MetaApp {
  std::string name;
  std::string app_secret;
};

struct ChannelConfig {
  std::string graph_base_url;
  std::string api_version;
  std::string verify_token;  // "" refuses every handshake
  std::vector<MetaApp> apps;
  long connect_timeout_ms = 3000;
  long request_timeout_ms = 10000;
  long long media_max_bytes = 104857600;
  bool dry_run = false;  // sends are logged and answered with a made-up id, never made

  // From the validated JSON the host hands to create(); throws std::invalid_argument naming
  // the problem (a repeated app name, an app without its secret).
  static ChannelConfig fromJson(const nlohmann::json& values);
};

// The WhatsApp Cloud API channel: Meta's verification handshake and signed webhooks in,
// normalized events out to the engine.
class WhatsAppChannel {
 public:
  WhatsAppChannel(const baraza_host_api* host, ChannelConfig config);

  void onHttp(const baraza_http_request& request);
  static const baraza_host_api* hostOf(baraza_plugin_ptr self) {
    return static_cast<WhatsAppChannel*>(self)->host_;
  }

  // The outbound hooks. Each takes a JSON request with "account": {"phone_number_id",
  // "access_token"} and writes a JSON result: {"ok": true, ...} or {"ok": false, "class":
  // "retry_later"|"outside_window"|"fatal", "reason", "retry_after_ms", "code", ...}.
  // Returns 0 on success. Never throws.
  int send(std::string_view request, char* result, size_t cap);
  int fetchMedia(std::string_view request, char* result, size_t cap);
  // GET /{phone_number_id} with the account's token: {"ok": true, "display_phone_number",
  // "verified_name"} when the token reaches the number (ABI 1.6 verify_account).
  int verifyAccount(std::string_view request, char* result, size_t cap);

 private:
  void handleVerify(const baraza_http_request& request);
  void handleWebhook(const baraza_http_request& request, const MetaApp& app);
  const MetaApp* appFor(const std::string& path, std::string& name) const;

  void reply(const baraza_http_request& request, int status, const std::string& body,
             const char* content_type = "application/json");
  void count(const char* name, const std::string& labels, double delta = 1);
  void log(baraza_log_level level, const std::string& text);
  void logRateLimited(const std::string& text);

  const baraza_host_api* host_;
  ChannelConfig config_;
  GraphClient graph_;
  std::atomic<long long> last_warning_ms_{0};
};

// Writes {"ok":false,"class":"retry_later","reason":"internal"} into a result buffer, or as
// much of a valid answer as fits.
void writeInternalError(char* out, size_t cap);

}  // namespace baraza::whatsapp
