// ABI glue only: the descriptor, the config table and the C hooks of the loopback channel.
#include <cstdio>
#include <new>

#include <nlohmann/json.hpp>

#include "loopback_channel.h"

namespace {

using baraza::loopback::LoopbackChannel;

const baraza_config_key kConfigKeys[] = {
    {"max_sent", BARAZA_CONFIG_INT, "1000",
     "Outbound messages kept for GET /channels/loopback/sent."},
    {"max_delay_ms", BARAZA_CONFIG_INT, "0",
     "Longest delay POST /channels/loopback/echo?delay_ms= may ask for."},
};

const char* const kHttpPaths[] = {"/channels/loopback/*", nullptr};

baraza_plugin_ptr create(const baraza_host_api* host, const char* config, size_t len, char* error,
                         size_t cap) {
  auto values = nlohmann::json::parse(config, config + len, nullptr, false);
  if (values.is_discarded() || !values.is_object()) {
    std::snprintf(error, cap, "config is not a JSON object");
    return nullptr;
  }
  long long max_sent = values.value("max_sent", 1000LL);
  long long max_delay = values.value("max_delay_ms", 0LL);
  if (max_sent < 1 || max_delay < 0) {
    std::snprintf(error, cap, "max_sent must be at least 1 and max_delay_ms at least 0");
    return nullptr;
  }
  return new (std::nothrow)
      LoopbackChannel(host, static_cast<size_t>(max_sent), static_cast<int>(max_delay));
}

void destroy(baraza_plugin_ptr self) {
  delete static_cast<LoopbackChannel*>(self);
}

void onHttp(baraza_plugin_ptr self, const baraza_http_request* request) {
  try {
    static_cast<LoopbackChannel*>(self)->onHttp(*request);
  } catch (...) {
    // Nothing may unwind into the host; an unanswered request becomes the host's 500.
  }
}

int send(baraza_plugin_ptr self, const char* message, size_t len, char* result, size_t cap) {
  try {
    return static_cast<LoopbackChannel*>(self)->send(message, len, result, cap);
  } catch (...) {
    return 2;
  }
}

// No media and no account check: only the operator registers loopback accounts.
const baraza_channel_vtable kVtable = {
    sizeof(baraza_channel_vtable), kHttpPaths, onHttp, send, nullptr, nullptr};

const baraza_plugin_descriptor kDescriptor = {
    BARAZA_PLUGIN_ABI_MAJOR,
    BARAZA_PLUGIN_ABI_MINOR,
    sizeof(baraza_plugin_descriptor),
    BARAZA_PLUGIN_KIND_CHANNEL,
    "loopback",
    "1.0.0",
    "A channel with no network behind it, for integration tests and demos",
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
