#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "baraza/plugin_api.h"
#include "config/engine_config.h"

namespace baraza {
class PluginHost;
}

// The handle the host passes to plugins; defined by the host, opaque to plugins.
struct baraza_host {
  std::string plugin_name;
  baraza::PluginHost* owner;
};

// One pending HTTP answer, filled by a plugin through host->http_reply.
struct baraza_http_reply {
  bool answered = false;
  int status = 500;
  std::string content_type;
  std::string body;
};

namespace baraza {

// A plugin refused or failed: the message starts with the file and says why.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LoadedPlugin {
  std::string file;
  std::string name;
  std::string version;
  std::string description;
  baraza_plugin_kind kind;
  uint32_t abi_minor = 0;
  Schema schema;                        // the plugin's config table
  std::vector<std::string> http_paths;  // channels only
  const baraza_plugin_descriptor* descriptor = nullptr;
  const baraza_channel_vtable* channel = nullptr;
  const baraza_strategy_vtable* strategy = nullptr;
  baraza_plugin_ptr instance = nullptr;  // set by createAll()
  void* handle = nullptr;                // dlopen handle
  std::unique_ptr<baraza_host> host;
  std::unique_ptr<baraza_host_api> api;

  std::string configPrefix() const;  // "channels.NAME" or "strategies.NAME"
  // The channel's fetch_media hook; null when it has none or was built for ABI 1.0.
  decltype(baraza_channel_vtable::fetch_media) fetchMediaHook() const;
  // The channel's verify_account hook; null when it has none or was built before ABI 1.6.
  decltype(baraza_channel_vtable::verify_account) verifyAccountHook() const;
};

// Receives inbound events that channels emit (one JSON event, or since ABI 1.3 an array of
// them); returns 0 when all were accepted and sets `events` to how many the text held, which
// the sink learns anyway when it reads them (the host does not parse them a second time).
using InboundSink =
    std::function<int(const std::string& channel, std::string_view events_json, size_t& events)>;
// Tells whether a token is some active tenant channel's webhook verify token.
using VerifyTokenCheck = std::function<bool(const std::string& channel, std::string_view token)>;

// What strategies may read of a tenant (ABI 1.4): its knowledge entries as a JSON array, and
// one of its secrets opened. nullopt: the tenant, or the secret, is unknown; a SecretError
// thrown by `secret` means it did not open.
struct TenantData {
  std::function<std::optional<std::string>(const std::string& tenant_id)> knowledge;
  std::function<std::optional<std::string>(const std::string& tenant_id, const std::string& name)>
      secret;
};
class SecretError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads plugin .so files through the C ABI of baraza/plugin_api.h, validates their config
// subtrees against their own tables and creates their instances.
class PluginHost {
 public:
  // What the host offers its plugins, given once at construction.
  struct Services {
    InboundSink inbound;            // channels' events; none: accepted and dropped
    VerifyTokenCheck verify_token;  // tenants' webhook verify tokens; none: no tenant token
    TenantData tenant_data;         // strategies' reads of a tenant; none: unknown tenants
  };
  explicit PluginHost(Services services = {});
  ~PluginHost();
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Loads one shared object. Refuses (PluginError "FILE: reason") a missing entry symbol, a
  // null descriptor, an ABI major mismatch, a short descriptor, a bad name or kind, a missing
  // create/destroy/vtable, and a name already loaded.
  const LoadedPlugin& load(const std::string& path);
  // Loads plugins.load from plugins.dir, or every .so in it (sorted) when load is absent.
  void loadConfigured(const PluginsConfig& config);
  // Validates each loaded plugin's config subtree against its table; an unknown plugin section
  // is an error. Returns "channels.NAME" -> effective values (secrets resolved).
  std::map<std::string, nlohmann::json> validateConfig(const EngineConfig& config,
                                                       std::vector<std::string>& warnings) const;
  // validateConfig(), then create() for each plugin. A failing create is a PluginError naming the
  // file and the plugin's reason.
  void createAll(const EngineConfig& config);

  const std::vector<std::unique_ptr<LoadedPlugin>>& plugins() const { return plugins_; }
  const LoadedPlugin* find(const std::string& name) const;
  // The config tables of every loaded plugin, as Markdown sections.
  std::string renderConfigDocs() const;

  int emitInbound(const std::string& channel, std::string_view event_json);
  bool verifyTokenKnown(const std::string& channel, std::string_view token) const;
  const TenantData& tenantData() const { return services_.tenant_data; }
  // The strategy's BARAZA_STRATEGY_* flags (0 for plugins built before ABI 1.4).
  static uint32_t strategyFlags(const LoadedPlugin& plugin);
  // The strategy's will_wait hook; null when it has none or was built before ABI 1.5.
  static decltype(baraza_strategy_vtable::will_wait) strategyWillWaitHook(
      const LoadedPlugin& plugin);

 private:
  void destroyAll();
  Services services_;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins_;
};

}  // namespace baraza
