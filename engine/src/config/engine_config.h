#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "config/config_schema.h"
#include "pipeline/pipeline_config.h"
#include "scripting/scripting_config.h"

namespace baraza {

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;
  size_t max_body_bytes = 3145728;
  int shutdown_timeout_ms = 10000;
  int header_timeout_ms = 10000;
  int body_timeout_ms = 30000;
  int keepalive_timeout_ms = 60000;
  bool access_log = true;
  int channel_get_per_minute = 30;           // per client address; 0: no limit
  int connections_per_address = 256;         // open connections per client address; 0: no cap
  std::optional<std::string> metrics_token;  // set: /metrics needs it as a bearer token
};

struct DatabaseConfig {
  std::string url;
  int pool_size = 4;
  int lease_timeout_ms = 2000;
  int transaction_timeout_ms = 15000;  // PostgreSQL: cancelled, then cut; 0: never
  std::string migrations_dir;          // empty: the migrations built into the binary
};

struct PluginsConfig {
  std::string dir;
  std::optional<std::vector<std::string>> load;  // absent: every .so in dir
};

struct ConsoleConfig {
  bool enabled = true;
  std::string dir;       // the static files
  std::string chart_js;  // Debian's Chart.js build
};

struct EngineConfig {
  std::string file;  // the file it came from, "" for defaults and environment only
  ServerConfig server;
  DatabaseConfig database;
  PluginsConfig plugins;
  ConsoleConfig console;
  std::string master_key_file;
  std::optional<std::string> admin_token;
  PipelineConfig pipeline;
  ScriptingConfig scripting;
  std::string log_level;
  std::string log_format;

  nlohmann::json values;  // the effective core config (secrets resolved: never print it)
  // Plugin subtrees, validated when the plugin's own table is known: "channels.whatsapp" -> node.
  std::map<std::string, YAML::Node> plugin_sections;
  std::vector<std::string> warnings;
};

// The typed table of every core key; docs/configuration.md is generated from it.
const Schema& engineSchema();

// Loads and validates `file` (or only defaults and environment when `file` is empty).
// Throws ConfigError naming file, line and key.
EngineConfig loadEngineConfig(const std::string& file);

// Parses "host:port"; throws ConfigError when it is not one.
void parseListen(const std::string& listen, std::string& host, uint16_t& port);

// The password of a URL such as postgresql://user:pw@host/db, if it has one.
std::optional<std::string> urlPassword(const std::string& url);
// Every password in the URL: the user:password@ one and each password= query parameter.
std::vector<std::string> urlSecrets(const std::string& url);
// The URL with every password replaced by "********".
std::string maskUrlPassword(const std::string& url);
// The effective core config with every secret masked: safe to print.
nlohmann::json printableConfig(const EngineConfig& cfg);

// YAML text of a JSON value, for printing the effective config.
std::string toYaml(const nlohmann::json& value);

}  // namespace baraza
