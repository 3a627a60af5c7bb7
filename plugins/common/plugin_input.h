// A strategy's input read with RapidJSON, for the strategies on every message's path (faq,
// static_reply). They read four or five fields of an input of ~1-2 KB (the tenant's view, the
// stored event, the conversation); building all of it as nlohmann::json cost more than their
// decisions (bench/README.md, "Less JSON on the message path"). A static library each plugin
// links its own copy of (plugins/common/CMakeLists.txt), which keeps the parse, and so
// RapidJSON's one known UBSan report, in plugin_input.cc.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "plugin_json.h"

namespace baraza::plugin {

class Input {
 public:
  // Parses `text`; ok() is false when it is not a JSON object.
  explicit Input(std::string_view text);
  Input(const Input&) = delete;  // the tree lives in the object's own buffer
  Input& operator=(const Input&) = delete;

  bool ok() const { return !doc_.HasParseError() && doc_.IsObject(); }

  // The value at `path` (member names from the root), or nullptr when any step is missing or
  // not an object.
  const rapidjson::Value* find(std::initializer_list<const char*> path) const {
    const rapidjson::Value* v = &doc_;
    for (const char* name : path) {
      if (!v->IsObject())
        return nullptr;
      auto it = v->FindMember(name);
      if (it == v->MemberEnd())
        return nullptr;
      v = &it->value;
    }
    return v;
  }

  // The string at `path`, or "" when it is absent or not a string.
  std::string text(std::initializer_list<const char*> path) const {
    const rapidjson::Value* v = find(path);
    return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
  }

  // The integer at `path`, or nullopt when it is absent or not an integer.
  std::optional<long long> integer(std::initializer_list<const char*> path) const {
    const rapidjson::Value* v = find(path);
    return v && v->IsInt64() ? std::optional<long long>(v->GetInt64()) : std::nullopt;
  }

  // The boolean at `path`, or nullopt when it is absent or not a boolean.
  std::optional<bool> boolean(std::initializer_list<const char*> path) const {
    const rapidjson::Value* v = find(path);
    return v && v->IsBool() ? std::optional<bool>(v->GetBool()) : std::nullopt;
  }

 private:
  // The tree is built in a buffer of the object's own; only a larger input allocates.
  char buffer_[8192];
  rapidjson::MemoryPoolAllocator<> pool_{buffer_, sizeof buffer_};
  rapidjson::Document doc_{&pool_};
};

// decideWith (plugin_json.h), the input read by Input instead of parsed whole.
template <typename Fn>
int runDecideOnInput(const char* message, size_t len, char* out, size_t cap, Fn&& fn) {
  auto fields = [](std::string_view text) {
    auto input = std::make_unique<const Input>(text);
    return input->ok() ? std::move(input) : nullptr;
  };
  return decideWith(message, len, out, cap, fields, std::forward<Fn>(fn));
}

}  // namespace baraza::plugin
