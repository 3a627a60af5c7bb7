#pragma once

#include <string>

#include <lua.hpp>
#include <nlohmann/json.hpp>

namespace baraza {

// JSON values to Lua and back. Objects become tables with string keys, arrays tables 1..n,
// null becomes nil (inside arrays: the sentinel is dropped). Both directions stop at depth 32.
void pushJson(lua_State* L, const nlohmann::json& value, int depth = 0);

// A Lua value as JSON: a table whose keys are exactly 1..n is an array, an empty table is an
// object, other tables need string keys. Returns false with `error` for functions, cycles,
// non-finite numbers and other values JSON cannot hold, and past a budget of values and string
// bytes (a table that reuses one subtable many times expands exponentially, in C++, where
// neither the memory cap nor the instruction hook reaches).
struct JsonBudget {
  size_t values = 20000;
  size_t string_bytes = 4u << 20;
};
bool toJson(lua_State* L, int index, nlohmann::json& out, std::string& error,
            JsonBudget budget = {});

// `text` with bytes that are not UTF-8 replaced by U+FFFD.
std::string validUtf8(const std::string& text);

}  // namespace baraza
