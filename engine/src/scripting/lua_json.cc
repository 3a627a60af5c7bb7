#include "scripting/lua_json.h"

#include <cmath>

namespace baraza {
namespace {

constexpr int kMaxDepth = 32;

}  // namespace

void pushJson(lua_State* L, const nlohmann::json& value, int depth) {
  if (depth > kMaxDepth) {
    lua_pushnil(L);
    return;
  }
  luaL_checkstack(L, 4, "JSON nested too deeply");
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      lua_createtable(L, 0, static_cast<int>(value.size()));
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (it.value().is_null())
          continue;
        lua_pushlstring(L, it.key().data(), it.key().size());
        pushJson(L, it.value(), depth + 1);
        lua_rawset(L, -3);
      }
      return;
    }
    case nlohmann::json::value_t::array: {
      lua_createtable(L, static_cast<int>(value.size()), 0);
      int i = 0;
      for (const auto& item : value) {
        if (item.is_null())
          continue;
        pushJson(L, item, depth + 1);
        lua_rawseti(L, -2, ++i);
      }
      return;
    }
    case nlohmann::json::value_t::string: {
      const auto& s = value.get_ref<const std::string&>();
      lua_pushlstring(L, s.data(), s.size());
      return;
    }
    case nlohmann::json::value_t::boolean:
      lua_pushboolean(L, value.get<bool>());
      return;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      lua_pushnumber(L, value.get<double>());
      return;
    default:
      lua_pushnil(L);
      return;
  }
}

namespace {

bool convert(lua_State* L, int index, nlohmann::json& out, std::string& error, int depth,
             JsonBudget& budget) {
  if (budget.values == 0) {
    error = "too many values (a table shared many times over?)";
    return false;
  }
  --budget.values;
  if (depth > kMaxDepth) {
    error = "nested deeper than 32 levels (or a cycle)";
    return false;
  }
  index = index < 0 ? lua_gettop(L) + index + 1 : index;
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      out = nullptr;
      return true;
    case LUA_TBOOLEAN:
      out = lua_toboolean(L, index) != 0;
      return true;
    case LUA_TNUMBER: {
      double n = lua_tonumber(L, index);
      if (!std::isfinite(n)) {
        error = "a number that is not finite";
        return false;
      }
      if (n == std::floor(n) && std::fabs(n) < 9.007199254740992e15)
        out = static_cast<long long>(n);
      else
        out = n;
      return true;
    }
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      if (len > budget.string_bytes) {
        error = "more text than the engine takes from a script";
        return false;
      }
      budget.string_bytes -= len;
      out = std::string(s, len);
      return true;
    }
    case LUA_TTABLE:
      break;
    default:
      error = std::string("a ") + luaL_typename(L, index) + " cannot be JSON";
      return false;
  }
  luaL_checkstack(L, 4, "table nested too deeply");
  size_t n = lua_objlen(L, index), keys = 0;
  bool array = true;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    ++keys;
    if (lua_type(L, -2) != LUA_TNUMBER)
      array = false;
    lua_pop(L, 1);
  }
  if (keys == 0) {
    out = nlohmann::json::object();
    return true;
  }
  if (array && keys == n) {
    out = nlohmann::json::array();
    for (size_t i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, static_cast<int>(i));
      nlohmann::json item;
      bool ok = convert(L, -1, item, error, depth + 1, budget);
      lua_pop(L, 1);
      if (!ok)
        return false;
      out.push_back(std::move(item));
    }
    return true;
  }
  out = nlohmann::json::object();
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      error = "a table mixing array items and keys, or with non-string keys";
      return false;
    }
    size_t len = 0;
    const char* key = lua_tolstring(L, -2, &len);
    nlohmann::json item;
    if (!convert(L, -1, item, error, depth + 1, budget)) {
      lua_pop(L, 2);
      return false;
    }
    out[std::string(key, len)] = std::move(item);
    lua_pop(L, 1);
  }
  return true;
}

}  // namespace

bool toJson(lua_State* L, int index, nlohmann::json& out, std::string& error, JsonBudget budget) {
  if (!convert(L, index, out, error, 0, budget))
    return false;
  // Lua strings are bytes: ones that are not UTF-8 are replaced (U+FFFD) here, once, so no
  // later dump throws and PostgreSQL never refuses a reply or an escalation for them.
  out = nlohmann::json::parse(out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return true;
}

std::string validUtf8(const std::string& text) {
  std::string quoted =
      nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return nlohmann::json::parse(quoted).get<std::string>();
}

}  // namespace baraza
