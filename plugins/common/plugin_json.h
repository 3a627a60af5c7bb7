// JSON helpers the strategy plugins share. Header-only: each .so compiles its own copy and
// links nothing of the engine's.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace baraza::plugin {

// obj[name] when obj is an object and that member a string, else "".
inline std::string stringField(const nlohmann::json& obj, const char* name) {
  return obj.is_object() && obj.contains(name) && obj[name].is_string()
             ? obj[name].get<std::string>()
             : std::string();
}

// obj[name], or an empty object when absent: for reading nested input safely.
inline const nlohmann::json& member(const nlohmann::json& obj, const char* name) {
  static const nlohmann::json empty = nlohmann::json::object();
  return obj.is_object() && obj.contains(name) ? obj[name] : empty;
}

// Writes `value` NUL-terminated into a host buffer of `cap` bytes; false when it does not fit.
inline bool writeJson(const nlohmann::json& value, char* out, size_t cap) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() + 1 > cap)
    return false;
  std::memcpy(out, text.c_str(), text.size() + 1);
  return true;
}

// The body of a strategy's `decide` hook, given how to read its input: `read(text)` returns
// the input, or an empty one (nullopt, nullptr) when the text is not a JSON object. Asks
// `fn(input, result)` for 0 (answered: `result` is the decision) or 1 (passed: `result`, when
// not null, is the hint for later strategies), writes `result` into the host's buffer, and
// turns bad input, a decision that does not fit and any exception into a failure (2); a hint
// that does not fit is left out.
template <typename Read, typename Fn>
int decideWith(const char* message, size_t len, char* out, size_t cap, Read&& read, Fn&& fn) {
  try {
    auto input = read(std::string_view(message, len));
    if (!input) {
      std::snprintf(out, cap, R"({"error":"the input is not a JSON object"})");
      return 2;
    }
    nlohmann::json result;
    int rc = fn(*input, result);
    if (!result.is_null() && !writeJson(result, out, cap)) {
      if (rc == 1)
        return 1;
      std::snprintf(out, cap, R"({"error":"the decision does not fit"})");
      return 2;
    }
    return rc;
  } catch (...) {
    return 2;  // nothing may unwind into the host
  }
}

// decideWith, the input parsed whole as nlohmann::json.
template <typename Fn>
int runDecide(const char* message, size_t len, char* out, size_t cap, Fn&& fn) {
  auto whole = [](std::string_view text) -> std::optional<nlohmann::json> {
    auto input = nlohmann::json::parse(text, nullptr, false);
    return input.is_object() ? std::optional<nlohmann::json>(std::move(input)) : std::nullopt;
  };
  return decideWith(message, len, out, cap, whole, std::forward<Fn>(fn));
}

// A baraza_sink_fn that appends the host's bytes to the std::string at `ctx`.
inline void appendTo(void* ctx, const char* bytes, size_t len) {
  static_cast<std::string*>(ctx)->append(bytes, len);
}

}  // namespace baraza::plugin
