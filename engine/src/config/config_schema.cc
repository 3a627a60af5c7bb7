#include "config/config_schema.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "log/redactor.h"

namespace baraza {
namespace {

constexpr const char* kMasked = "********";

// The schema as a tree of map levels.
struct SchemaNode {
  const KeySpec* leaf = nullptr;               // set for scalar/list/secret keys and object lists
  std::map<std::string, SchemaNode> children;  // map levels, or the fields of an object list
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

std::string stripListMark(const std::string& segment) {
  if (segment.size() > 2 && segment.compare(segment.size() - 2, 2, "[]") == 0) {
    return segment.substr(0, segment.size() - 2);
  }
  return segment;
}

SchemaNode buildTree(const Schema& schema) {
  SchemaNode root;
  for (const auto& spec : schema) {
    SchemaNode* node = &root;
    for (const auto& seg : split(spec.path, '.')) {
      node = &node->children[stripListMark(seg)];
    }
    node->leaf = &spec;
  }
  return root;
}

std::string joinPath(const std::string& a, const std::string& b) {
  return a.empty() ? b : a + "." + b;
}

std::string where(const ConfigSource& src, const YAML::Mark& mark) {
  std::string file = src.file.empty() ? "<config>" : src.file;
  if (mark.is_null()) {
    return file;
  }
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

[[noreturn]] void fail(const ConfigSource& src, const YAML::Mark& mark, const std::string& key,
                       const std::string& problem) {
  throw ConfigError(where(src, mark) + ": " + key + ": " + problem);
}

bool parseInt(const std::string& text, long long& out) {
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool parseBool(std::string text, bool& out) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    out = true;
    return true;
  }
  if (text == "false" || text == "no" || text == "off" || text == "0") {
    out = false;
    return true;
  }
  return false;
}

// Converts scalar text to the JSON value of `type`; returns false when it does not fit.
bool convertScalar(KeyType type, const std::string& text, nlohmann::json& out) {
  switch (type) {
    case KeyType::kString:
    case KeyType::kSecret:
      out = text;
      return true;
    case KeyType::kInt: {
      long long v = 0;
      if (!parseInt(text, v))
        return false;
      out = v;
      return true;
    }
    case KeyType::kBool: {
      bool b = false;
      if (!parseBool(text, b))
        return false;
      out = b;
      return true;
    }
    case KeyType::kStringList: {
      out = nlohmann::json::array();
      for (auto& item : split(text, ',')) {
        if (!item.empty())
          out.push_back(item);
      }
      return true;
    }
    case KeyType::kObjectList:
      return false;
  }
  return false;
}

std::string readSecretFile(const std::string& path, const ConfigSource& src, const YAML::Mark& mark,
                           const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fail(src, mark, key, "cannot read secret file '" + path + "'");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string value = buf.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
    value.pop_back();
  }
  return value;
}

class Applier {
 public:
  Applier(const ConfigSource& src, std::vector<std::string>& warnings)
      : src_(src), warnings_(warnings) {}

  // Validates one YAML map level against `level` and fills `out`. `path` is the dotted path of
  // this level (for messages), `env_ok` is false inside lists (no env override per item).
  void applyMap(const SchemaNode& level, const YAML::Node& node, const std::string& path,
                bool env_ok, nlohmann::json& out, const std::vector<std::string>& open_keys) {
    std::set<std::string> seen;
    std::map<std::string, YAML::Node> given;  // key as written -> value
    std::map<std::string, YAML::Mark> marks;
    if (node.IsDefined() && !node.IsNull()) {
      if (!node.IsMap()) {
        fail(src_, node.Mark(), path.empty() ? "<root>" : fullKey(path), "must be a map");
      }
      for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
          fail(src_, it->first.Mark(), path.empty() ? "<root>" : fullKey(path),
               "keys must be plain names");
        }
        std::string key = it->first.as<std::string>();
        if (!seen.insert(key).second) {
          fail(src_, it->first.Mark(), fullKey(joinPath(path, key)), "duplicate key");
        }
        given[key] = it->second;
        marks[key] = it->first.Mark();
      }
    }
    for (const auto& [key, value] : given) {
      if (std::find(open_keys.begin(), open_keys.end(), key) != open_keys.end()) {
        continue;
      }
      if (level.children.count(key)) {
        continue;
      }
      auto stem = secretStem(key);
      auto child = level.children.find(stem);
      if (!stem.empty() && child != level.children.end() && child->second.leaf &&
          child->second.leaf->type == KeyType::kSecret) {
        continue;
      }
      fail(src_, marks[key], fullKey(joinPath(path, key)), "unknown key");
    }
    for (const auto& [name, child] : level.children) {
      std::string child_path = joinPath(path, name);
      if (child.leaf && child.leaf->type == KeyType::kObjectList) {
        applyObjectList(child, given.count(name) ? given[name] : YAML::Node(), child_path, out);
      } else if (child.leaf) {
        applyLeaf(*child.leaf, name, given, marks, child_path, env_ok, out);
      } else {
        nlohmann::json sub = nlohmann::json::object();
        applyMap(child, given.count(name) ? given[name] : YAML::Node(), child_path, env_ok, sub,
                 {});
        out[name] = sub;
      }
    }
  }

 private:
  static std::string secretStem(const std::string& key) {
    for (const char* suffix : {"_env", "_file"}) {
      std::string s(suffix);
      if (key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0) {
        return key.substr(0, key.size() - s.size());
      }
    }
    return "";
  }

  std::string fullKey(const std::string& path) const { return joinPath(src_.prefix, path); }

  void applyObjectList(const SchemaNode& spec, const YAML::Node& node, const std::string& path,
                       nlohmann::json& out) {
    nlohmann::json list = nlohmann::json::array();
    const std::string name = split(path, '.').back();
    if (node.IsDefined() && !node.IsNull()) {
      if (!node.IsSequence()) {
        fail(src_, node.Mark(), fullKey(path), "must be a list of maps");
      }
      for (size_t i = 0; i < node.size(); ++i) {
        nlohmann::json item = nlohmann::json::object();
        applyMap(spec, node[i], path + "[" + std::to_string(i) + "]", false, item, {});
        list.push_back(item);
      }
    }
    out[name] = list;
  }

  void applyLeaf(const KeySpec& spec, const std::string& name,
                 std::map<std::string, YAML::Node>& given, std::map<std::string, YAML::Mark>& marks,
                 const std::string& path, bool env_ok, nlohmann::json& out) {
    nlohmann::json value;
    bool have = false;
    const std::string key = fullKey(path);
    if (spec.type == KeyType::kSecret) {
      int forms = 0;
      for (const char* suffix : {"", "_env", "_file"}) {
        forms += given.count(name + suffix) ? 1 : 0;
      }
      if (forms > 1) {
        fail(src_, marks[name + (given.count(name) ? "" : "_env")], key,
             "give a secret once: as " + name + ", " + name + "_env or " + name + "_file");
      }
      if (given.count(name)) {
        value = scalarText(given[name], key);
        have = true;
      } else if (given.count(name + "_env")) {
        std::string var = scalarText(given[name + "_env"], key + "_env");
        const char* env = std::getenv(var.c_str());
        if (env) {
          value = std::string(env);
          have = true;
        } else {
          warnings_.push_back(where(src_, marks[name + "_env"]) + ": " + key +
                              "_env: environment variable " + var + " is not set");
        }
      } else if (given.count(name + "_file")) {
        std::string file = scalarText(given[name + "_file"], key + "_file");
        value = readSecretFile(file, src_, marks[name + "_file"], key + "_file");
        have = true;
      }
    } else if (given.count(name)) {
      value = typedValue(spec, given[name], key);
      have = true;
    }
    if (env_ok && src_.environment) {
      std::string var = envNameFor(src_.prefix, path);
      if (const char* env = std::getenv(var.c_str())) {
        if (!convertScalar(spec.type, env, value)) {
          throw ConfigError("environment " + var + ": " + key + ": expected " +
                            keyTypeName(spec.type) + ", got '" + env + "'");
        }
        have = true;
      }
    }
    if (!have && spec.default_value) {
      convertScalar(spec.type, *spec.default_value, value);
      have = true;
    }
    if (!have) {
      return;
    }
    if (spec.type == KeyType::kSecret) {
      Redactor::instance().add(value.get<std::string>());
    }
    out[name] = value;
  }

  std::string scalarText(const YAML::Node& node, const std::string& key) {
    if (!node.IsScalar()) {
      fail(src_, node.Mark(), key, "expected a single value");
    }
    return node.Scalar();
  }

  nlohmann::json typedValue(const KeySpec& spec, const YAML::Node& node, const std::string& key) {
    nlohmann::json value;
    if (spec.type == KeyType::kStringList) {
      if (!node.IsSequence()) {
        fail(src_, node.Mark(), key, "expected a list of strings");
      }
      value = nlohmann::json::array();
      for (const auto& item : node) {
        value.push_back(scalarText(item, key));
      }
      return value;
    }
    std::string text = scalarText(node, key);
    if (!convertScalar(spec.type, text, value)) {
      fail(src_, node.Mark(), key,
           std::string("expected ") + keyTypeName(spec.type) + ", got '" + text + "'");
    }
    return value;
  }

  const ConfigSource& src_;
  std::vector<std::string>& warnings_;
};

void maskLevel(const SchemaNode& level, nlohmann::json& values) {
  if (!values.is_object())
    return;
  for (const auto& [name, child] : level.children) {
    if (!values.contains(name))
      continue;
    if (child.leaf && child.leaf->type == KeyType::kSecret) {
      values[name] = kMasked;
    } else if (child.leaf && child.leaf->type == KeyType::kObjectList) {
      for (auto& item : values[name])
        maskLevel(child, item);
    } else if (!child.leaf) {
      maskLevel(child, values[name]);
    }
  }
}

}  // namespace

const char* keyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kString:
      return "string";
    case KeyType::kInt:
      return "integer";
    case KeyType::kBool:
      return "boolean";
    case KeyType::kStringList:
      return "list of strings";
    case KeyType::kSecret:
      return "secret";
    case KeyType::kObjectList:
      return "list of maps";
  }
  return "?";
}

std::string envNameFor(const std::string& prefix, const std::string& path) {
  std::string name = "BARAZA_" + joinPath(prefix, path);
  for (auto& c : name) {
    c = (c == '.' || c == '-') ? '_'
                               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

nlohmann::json applySchema(const Schema& schema, const YAML::Node& node, const ConfigSource& source,
                           std::vector<std::string>& warnings,
                           const std::vector<std::string>& open_keys) {
  SchemaNode tree = buildTree(schema);
  nlohmann::json out = nlohmann::json::object();
  Applier(source, warnings).applyMap(tree, node, "", true, out, open_keys);
  return out;
}

nlohmann::json maskSecrets(const Schema& schema, const nlohmann::json& values) {
  SchemaNode tree = buildTree(schema);
  nlohmann::json copy = values;
  maskLevel(tree, copy);
  return copy;
}

std::string renderSchemaMarkdown(const Schema& schema, const std::string& prefix) {
  std::ostringstream md;
  md << "| key | type | default | environment | description |\n";
  md << "|---|---|---|---|---|\n";
  for (const auto& spec : schema) {
    bool in_list = spec.path.find("[]") != std::string::npos;
    std::string env = (in_list || spec.type == KeyType::kObjectList)
                          ? "—"
                          : "`" + envNameFor(prefix, spec.path) + "`";
    std::string type = keyTypeName(spec.type);
    if (spec.type == KeyType::kSecret) {
      type += " (or `_env`, `_file`)";
    }
    md << "| `" << joinPath(prefix, spec.path) << "` | " << type << " | "
       << (spec.default_value ? "`" + *spec.default_value + "`" : std::string("—")) << " | " << env
       << " | " << spec.description << " |\n";
  }
  return md.str();
}

}  // namespace baraza
