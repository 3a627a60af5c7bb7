#include "plugin_host/plugin_host.h"

#include <cstddef>

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "plugin_host/host_api.h"

namespace baraza {
namespace {

constexpr size_t kErrorCap = 512;

// The descriptor size of ABI 1.0: every field up to and including `vtable`.
constexpr size_t kMinDescriptorSize =
    offsetof(baraza_plugin_descriptor, vtable) +
    sizeof(static_cast<baraza_plugin_descriptor*>(nullptr)->vtable);

KeyType toKeyType(uint32_t type, const std::string& file, const std::string& key) {
  switch (type) {
    case BARAZA_CONFIG_STRING:
      return KeyType::kString;
    case BARAZA_CONFIG_INT:
      return KeyType::kInt;
    case BARAZA_CONFIG_BOOL:
      return KeyType::kBool;
    case BARAZA_CONFIG_STRING_LIST:
      return KeyType::kStringList;
    case BARAZA_CONFIG_SECRET:
      return KeyType::kSecret;
    case BARAZA_CONFIG_OBJECT_LIST:
      return KeyType::kObjectList;
  }
  throw PluginError(file + ": config key '" + key + "' has unknown type " + std::to_string(type));
}

}  // namespace

std::string LoadedPlugin::configPrefix() const {
  return (kind == BARAZA_PLUGIN_KIND_CHANNEL ? "channels." : "strategies.") + name;
}

decltype(baraza_channel_vtable::fetch_media) LoadedPlugin::fetchMediaHook() const {
  if (!channel || channel->struct_size <
                      offsetof(baraza_channel_vtable, fetch_media) + sizeof(channel->fetch_media)) {
    return nullptr;
  }
  return channel->fetch_media;
}

decltype(baraza_channel_vtable::verify_account) LoadedPlugin::verifyAccountHook() const {
  if (!channel || channel->struct_size < offsetof(baraza_channel_vtable, verify_account) +
                                             sizeof(channel->verify_account)) {
    return nullptr;
  }
  return channel->verify_account;
}

PluginHost::PluginHost(Services services) : services_(std::move(services)) {
  MetricsRegistry::global().describe("baraza_inbound_events_total", "counter",
                                     "Inbound events channels handed to the engine.");
}

PluginHost::~PluginHost() {
  destroyAll();
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    if ((*it)->handle)
      dlclose((*it)->handle);
  }
}

void PluginHost::destroyAll() {
  for (auto it = plugins_.rbegin(); it != plugins_.rend(); ++it) {
    auto& p = **it;
    if (p.instance) {
      p.descriptor->destroy(p.instance);
      p.instance = nullptr;
    }
  }
}

const LoadedPlugin& PluginHost::load(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = dlerror();
    throw PluginError(path + ": cannot load: " + (err ? err : "unknown dlopen error"));
  }
  struct Closer {
    void* handle;
    ~Closer() {
      if (handle)
        dlclose(handle);
    }
  } closer{handle};
  auto refuse = [&](const std::string& reason) { throw PluginError(path + ": " + reason); };

  dlerror();
  void* symbol = dlsym(handle, BARAZA_PLUGIN_ENTRY_SYMBOL);
  if (!symbol) {
    refuse(std::string("missing entry symbol ") + BARAZA_PLUGIN_ENTRY_SYMBOL);
  }
  auto entry = reinterpret_cast<baraza_plugin_entry_fn>(symbol);
  const baraza_plugin_descriptor* d = entry();
  if (!d)
    refuse("entry symbol returned no descriptor");
  if (d->abi_major != BARAZA_PLUGIN_ABI_MAJOR) {
    refuse("ABI major " + std::to_string(d->abi_major) + " (" + std::to_string(d->abi_major) + "." +
           std::to_string(d->abi_minor) + "), but this engine speaks ABI " +
           std::to_string(BARAZA_PLUGIN_ABI_MAJOR) + "." + std::to_string(BARAZA_PLUGIN_ABI_MINOR));
  }
  if (d->struct_size < kMinDescriptorSize) {
    refuse("descriptor is " + std::to_string(d->struct_size) + " bytes, ABI " +
           std::to_string(BARAZA_PLUGIN_ABI_MAJOR) + " needs at least " +
           std::to_string(kMinDescriptorSize));
  }
  static const std::regex name_pattern("^[a-z0-9_]{1,64}$");
  if (!d->name || !std::regex_match(d->name, name_pattern)) {
    refuse(std::string("plugin name '") + (d->name ? d->name : "(null)") +
           "' must be 1-64 characters of [a-z0-9_]");
  }
  if (!d->create || !d->destroy)
    refuse("descriptor lacks create or destroy");
  if (!d->vtable)
    refuse("descriptor lacks its vtable");
  if (d->kind != BARAZA_PLUGIN_KIND_CHANNEL && d->kind != BARAZA_PLUGIN_KIND_STRATEGY) {
    refuse("unknown plugin kind " + std::to_string(d->kind));
  }
  if (const LoadedPlugin* other = find(d->name)) {
    refuse(std::string("duplicate plugin name '") + d->name + "', already loaded from " +
           other->file);
  }

  auto p = std::make_unique<LoadedPlugin>();
  p->file = path;
  p->name = d->name;
  p->version = d->version ? d->version : "";
  p->description = d->description ? d->description : "";
  p->kind = static_cast<baraza_plugin_kind>(d->kind);
  p->abi_minor = d->abi_minor;
  p->descriptor = d;
  for (size_t i = 0; i < d->config_key_count && d->config_keys; ++i) {
    const auto& key = d->config_keys[i];
    if (!key.name)
      refuse("config key " + std::to_string(i) + " has no name");
    p->schema.push_back(
        {key.name, toKeyType(key.type, path, key.name),
         key.default_value ? std::optional<std::string>(key.default_value) : std::nullopt,
         key.description ? key.description : ""});
  }
  if (p->kind == BARAZA_PLUGIN_KIND_CHANNEL) {
    p->channel = static_cast<const baraza_channel_vtable*>(d->vtable);
    // ABI 1.0 vtables end before fetch_media; the host treats what they lack as null.
    constexpr size_t kMinChannelVtable = offsetof(baraza_channel_vtable, fetch_media);
    if (p->channel->struct_size < kMinChannelVtable) {
      refuse("channel vtable is " + std::to_string(p->channel->struct_size) + " bytes, needs " +
             std::to_string(kMinChannelVtable));
    }
    for (auto paths = p->channel->http_paths; paths && *paths; ++paths) {
      if ((*paths)[0] != '/')
        refuse(std::string("http path '") + *paths + "' must start with /");
      p->http_paths.emplace_back(*paths);
    }
    if (!p->http_paths.empty() && !p->channel->on_http)
      refuse("http_paths given without on_http");
  } else {
    p->strategy = static_cast<const baraza_strategy_vtable*>(d->vtable);
    if (p->strategy->struct_size < offsetof(baraza_strategy_vtable, flags) ||
        !p->strategy->decide) {
      refuse("strategy vtable is short or lacks decide");
    }
  }
  p->host = std::make_unique<baraza_host>(baraza_host{p->name, this});
  p->api = makeHostApi(p->host.get());
  p->handle = handle;
  closer.handle = nullptr;
  spdlog::info("plugin {} {} loaded from {} (ABI {}.{})", p->name, p->version, path, d->abi_major,
               d->abi_minor);
  plugins_.push_back(std::move(p));
  return *plugins_.back();
}

void PluginHost::loadConfigured(const PluginsConfig& config) {
  namespace fs = std::filesystem;
  if (config.load) {
    for (const auto& name : *config.load) {
      fs::path file = fs::path(config.dir) / (name + ".so");
      if (!fs::exists(file)) {
        throw PluginError(file.string() + ": plugin '" + name +
                          "' named in plugins.load was not found in plugins.dir");
      }
      load(file.string());
    }
    return;
  }
  if (!fs::is_directory(config.dir)) {
    throw PluginError(config.dir + ": plugins.dir is not a folder");
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(config.dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".so") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files)
    load(file);
}

std::map<std::string, nlohmann::json> PluginHost::validateConfig(
    const EngineConfig& config, std::vector<std::string>& warnings) const {
  for (const auto& [section, node] : config.plugin_sections) {
    bool known = std::any_of(plugins_.begin(), plugins_.end(),
                             [&](const auto& p) { return p->configPrefix() == section; });
    if (!known) {
      throw ConfigError((config.file.empty() ? std::string("<config>") : config.file) + ":" +
                        std::to_string(node.Mark().line + 1) + ": " + section +
                        ": no loaded plugin of that kind and name");
    }
  }
  std::map<std::string, nlohmann::json> out;
  for (const auto& p : plugins_) {
    auto section = config.plugin_sections.find(p->configPrefix());
    YAML::Node node = section == config.plugin_sections.end() ? YAML::Node() : section->second;
    out[p->configPrefix()] =
        applySchema(p->schema, node, {config.file, p->configPrefix(), true}, warnings);
  }
  return out;
}

void PluginHost::createAll(const EngineConfig& config) {
  std::vector<std::string> warnings;
  auto values = validateConfig(config, warnings);
  for (const auto& w : warnings)
    spdlog::warn("{}", w);
  for (auto& p : plugins_) {
    if (p->instance)
      continue;
    std::string json = values[p->configPrefix()].dump();
    char error[kErrorCap] = {0};
    p->instance = p->descriptor->create(p->api.get(), json.data(), json.size(), error, kErrorCap);
    if (!p->instance) {
      error[kErrorCap - 1] = '\0';
      throw PluginError(p->file + ": plugin '" + p->name + "' failed to start: " +
                        (error[0] ? error : "create() returned null without a reason"));
    }
  }
}

const LoadedPlugin* PluginHost::find(const std::string& name) const {
  for (const auto& p : plugins_) {
    if (p->name == name)
      return p.get();
  }
  return nullptr;
}

std::string PluginHost::renderConfigDocs() const {
  std::string md;
  for (const auto& p : plugins_) {
    md += "### " + p->configPrefix() + "\n\n" + p->description + " (plugin `" + p->name +
          "`, version " + p->version + ")\n\n";
    md += p->schema.empty() ? "No keys.\n" : renderSchemaMarkdown(p->schema, p->configPrefix());
    md += "\n";
  }
  return md;
}

bool PluginHost::verifyTokenKnown(const std::string& channel, std::string_view token) const {
  return services_.verify_token && !token.empty() && services_.verify_token(channel, token);
}

int PluginHost::emitInbound(const std::string& channel, std::string_view event_json) {
  size_t events = 1;
  int rc = services_.inbound ? services_.inbound(channel, event_json, events) : 0;
  MetricsRegistry::global().counterAdd(
      "baraza_inbound_events_total",
      {{"channel", channel}, {"result", rc == 0 ? "accepted" : "refused"}},
      static_cast<double>(events));
  return rc;
}

uint32_t PluginHost::strategyFlags(const LoadedPlugin& plugin) {
  if (!plugin.strategy ||
      plugin.strategy->struct_size < offsetof(baraza_strategy_vtable, flags) + sizeof(uint32_t))
    return 0;
  return plugin.strategy->flags;
}

decltype(baraza_strategy_vtable::will_wait) PluginHost::strategyWillWaitHook(
    const LoadedPlugin& plugin) {
  if (!plugin.strategy ||
      plugin.strategy->struct_size <
          offsetof(baraza_strategy_vtable, will_wait) + sizeof(plugin.strategy->will_wait))
    return nullptr;
  return plugin.strategy->will_wait;
}

}  // namespace baraza
