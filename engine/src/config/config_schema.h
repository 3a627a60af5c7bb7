#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

namespace baraza {

// A config problem: the message names the file, the line and the key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class KeyType { kString, kInt, kBool, kStringList, kSecret, kObjectList };

const char* keyTypeName(KeyType type);

// One key of a typed config table. `path` is dotted; "apps[].name" is the field `name` of each
// map in the list `apps` (whose own spec has type kObjectList).
struct KeySpec {
  std::string path;
  KeyType type;
  std::optional<std::string> default_value;  // YAML scalar syntax; lists as "a,b"
  std::string description;
};

using Schema = std::vector<KeySpec>;

// Where a subtree comes from, for error messages and environment overrides.
struct ConfigSource {
  std::string file;         // "" when there is no file
  std::string prefix;       // "" for the root, "channels.whatsapp" for a plugin subtree
  bool environment = true;  // BARAZA_<PREFIX_PATH> overrides (off for data files: tenants)
};

// Validates `node` (a map, or null/undefined for "nothing given") against `schema` and returns
// the effective values as a JSON object: defaults applied, BARAZA_<PREFIX_PATH> environment
// variables applied, secrets resolved from NAME, NAME_env or NAME_file (and registered with the
// Redactor). Keys in `open_keys` are accepted at the top level without checking (subtrees that
// other tables validate). Throws ConfigError. Non-fatal notes go into `warnings`.
nlohmann::json applySchema(const Schema& schema, const YAML::Node& node, const ConfigSource& source,
                           std::vector<std::string>& warnings,
                           const std::vector<std::string>& open_keys = {});

// A copy of `values` with every secret of `schema` replaced by "********".
nlohmann::json maskSecrets(const Schema& schema, const nlohmann::json& values);

// The environment variable that overrides `path` under `prefix`: BARAZA_SERVER_LISTEN.
std::string envNameFor(const std::string& prefix, const std::string& path);

// A Markdown table of the schema: key, type, default, environment variable, description.
std::string renderSchemaMarkdown(const Schema& schema, const std::string& prefix);

}  // namespace baraza
