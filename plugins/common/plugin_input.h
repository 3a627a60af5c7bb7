// A strategy's input read with RapidJSON, for the strategies on every message's path (faq,
// static_reply). They read four or five fields of an input of ~1-2 KB (the tenant's view, the
// stored event, the conversation); building all of it as nlohmann::json cost more than their
// decisions (bench/README.md, "Strategy inputs read with RapidJSON"). Header-only: each .so
// compiles its own copy.
//
// RapidJSON 1.1.0 (Debian 12) trips UBSan's pointer-overflow check on its first push; a file
// that includes this header turns that one check off in sanitizer builds (see the plugin's
// CMakeLists.txt).
#pragma once

#include <cstdio>
#include <initializer_list>
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

// runDecide (plugin_json.h) with the input read by Input instead of parsed whole:
// `fn(input, result)` returns 0 or 1 as there.
template <typename Fn>
int runDecideOnInput(const char* message, size_t len, char* out, size_t cap, Fn&& fn) {
  try {
    Input input(std::string_view(message, len));
    if (!input.ok()) {
      std::snprintf(out, cap, R"({"error":"the input is not a JSON object"})");
      return 2;
    }
    nlohmann::json result;
    int rc = fn(input, result);
    return finishDecide(rc, result, out, cap);
  } catch (...) {
    return 2;  // nothing may unwind into the host
  }
}

}  // namespace baraza::plugin
