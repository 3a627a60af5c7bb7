// ABI glue only: the descriptor, the config table and the C hooks of the WhatsApp channel.
#include <cstdio>
#include <exception>
#include <new>

#include "whatsapp_channel.h"

namespace {

using baraza::whatsapp::ChannelConfig;
using baraza::whatsapp::WhatsAppChannel;

const baraza_config_key kConfigKeys[] = {
    {"graph_base_url", BARAZA_CONFIG_STRING, "https://graph.facebook.com",
     "Graph API base URL for sends and media (tests point it at a mock)."},
    {"api_version", BARAZA_CONFIG_STRING, "v23.0",
     "Graph API version used in request paths of sends and media."},
    {"verify_token", BARAZA_CONFIG_SECRET, nullptr,
     "Token Meta's GET handshake must present (hub.verify_token)."},
    {"connect_timeout_ms", BARAZA_CONFIG_INT, "3000", "Graph API connect timeout."},
    {"request_timeout_ms", BARAZA_CONFIG_INT, "10000",
     "Graph API whole-request timeout; a timed-out send is retried later."},
    {"media_max_bytes", BARAZA_CONFIG_INT, "104857600",
     "Largest inbound media file fetched; larger ones are refused as media_too_large."},
    {"dry_run", BARAZA_CONFIG_BOOL, "false",
     "Log each send (without its token) and answer it with a made-up id instead of calling "
     "the Graph API: for demos and first runs without credentials."},
    {"apps", BARAZA_CONFIG_OBJECT_LIST, nullptr,
     "The Meta apps whose webhooks this engine receives; POST /webhook/whatsapp/NAME picks one."},
    {"apps[].name", BARAZA_CONFIG_STRING, "default",
     "The app's name in the callback path; 'default' (or the only app) also serves "
     "/webhook/whatsapp and /webhook."},
    {"apps[].app_secret", BARAZA_CONFIG_SECRET, nullptr,
     "The app secret that signs its webhooks (X-Hub-Signature-256)."},
};

const char* const kHttpPaths[] = {"/webhook/whatsapp/*", "/webhook", nullptr};

baraza_plugin_ptr create(const baraza_host_api* host, const char* config, size_t len, char* error,
                         size_t cap) {
  try {
    auto values = nlohmann::json::parse(config, config + len);
    return new WhatsAppChannel(host, ChannelConfig::fromJson(values));
  } catch (const std::exception& e) {
    std::snprintf(error, cap, "%s", e.what());
    return nullptr;
  }
}

void destroy(baraza_plugin_ptr self) {
  delete static_cast<WhatsAppChannel*>(self);
}

void onHttp(baraza_plugin_ptr self, const baraza_http_request* request) {
  try {
    static_cast<WhatsAppChannel*>(self)->onHttp(*request);
  } catch (...) {
    // Nothing may unwind into the host. Only the first answer counts, so this one is ignored
    // when the channel had answered already.
    static const char kBody[] = R"({"error":"internal_error","details":"whatsapp channel failed"})";
    WhatsAppChannel::hostOf(self)->http_reply(request->reply_host_ptr, 500, "application/json",
                                              kBody, sizeof(kBody) - 1);
  }
}

int send(baraza_plugin_ptr self, const char* message, size_t len, char* result, size_t cap) {
  try {
    return static_cast<WhatsAppChannel*>(self)->send(std::string_view(message, len), result, cap);
  } catch (...) {
    baraza::whatsapp::writeInternalError(result, cap);
    return 2;
  }
}

int fetchMedia(baraza_plugin_ptr self, const char* request, size_t len, char* result, size_t cap) {
  try {
    return static_cast<WhatsAppChannel*>(self)->fetchMedia(std::string_view(request, len), result,
                                                           cap);
  } catch (...) {
    baraza::whatsapp::writeInternalError(result, cap);
    return 2;
  }
}

int verifyAccount(baraza_plugin_ptr self, const char* request, size_t len, char* result,
                  size_t cap) {
  try {
    return static_cast<WhatsAppChannel*>(self)->verifyAccount(std::string_view(request, len),
                                                              result, cap);
  } catch (...) {
    baraza::whatsapp::writeInternalError(result, cap);
    return 2;
  }
}

const baraza_channel_vtable kVtable = {
    sizeof(baraza_channel_vtable), kHttpPaths, onHttp, send, fetchMedia, verifyAccount};

const baraza_plugin_descriptor kDescriptor = {
    BARAZA_PLUGIN_ABI_MAJOR,
    BARAZA_PLUGIN_ABI_MINOR,
    sizeof(baraza_plugin_descriptor),
    BARAZA_PLUGIN_KIND_CHANNEL,
    "whatsapp",
    "0.3.0",
    "WhatsApp Business through Meta's Cloud API: signed webhooks in, Graph API sends out",
    kConfigKeys,
    sizeof(kConfigKeys) / sizeof(kConfigKeys[0]),
    create,
    destroy,
    &kVtable,
};

}  // namespace

extern "C" BARAZA_PLUGIN_EXPORT const baraza_plugin_descriptor* baraza_plugin_entry(void) {
  return &kDescriptor;
}
