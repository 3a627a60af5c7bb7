#include "scripting/lua_sandbox.h"

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "scripting/bounded_patterns.h"
#include "scripting/sandbox_base.h"

namespace baraza {
namespace {

constexpr int kHookEvery = 1000;  // instructions between wall-clock checks

// The allow-list (reliability-and-security.md §2; the base functions are in sandbox_base.cc).
// Everything else is absent.
constexpr const char* kStringNames[] = {"byte", "char",    "format", "len",  "lower",
                                        "rep",  "reverse", "sub",    "upper"};
constexpr const char* kTableNames[] = {"concat", "insert", "maxn", "remove"};

void copyFields(lua_State* L, int from, int to, const char* const* names, size_t count) {
  int top = lua_gettop(L);
  from = from < 0 ? top + from + 1 : from;
  to = to < 0 ? top + to + 1 : to;
  for (size_t i = 0; i < count; ++i) {
    lua_getfield(L, from, names[i]);
    lua_setfield(L, to, names[i]);
  }
}

// table.sort runs in C: a long array would hold the CPU past any budget.
int guardedSort(lua_State* L) {
  LuaSandbox::checkDeadline(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  auto max = static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(2)));
  if (lua_objlen(L, 1) > max)
    return luaL_error(L, "table.sort: more than %d elements", static_cast<int>(max));
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 0);
  return 0;
}

// A stock C function that may take long on big inputs (rep, format, upper, concat...), called
// only while the budget lasts: between two instruction-hook checks a loop could otherwise call
// it a thousand times. Upvalue 1: the stock function.
int deadlineChecked(lua_State* L) {
  LuaSandbox::checkDeadline(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

void wrapWithDeadline(lua_State* L, int table, const char* name) {
  lua_getfield(L, table, name);
  lua_pushcclosure(L, deadlineChecked, 1);
  lua_setfield(L, table, name);
}

// os.date with only the conversions every C library supports.
int guardedDate(lua_State* L) {
  const char* format = luaL_optstring(L, 1, "%c");
  const char* p = format;
  if (*p == '!')
    ++p;
  if (std::strcmp(p, "*t") != 0) {
    for (; *p; ++p) {
      if (*p != '%')
        continue;
      ++p;
      if (!*p || !std::strchr("aAbBcdHIjmMpSUwWxXyYZ%", *p))
        return luaL_error(L, "os.date: unsupported conversion in '%s'", format);
    }
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

// __index of the table, math and os stubs: opens the library, fills the stub with what the
// allow-list keeps (table without foreach*, a guarded sort and concat; all of math; os.time,
// os.clock and a guarded os.date), drops the stub's metatable and answers the lookup.
// Upvalue 1: the library's name; 2: the stub.
int openOnFirstUse(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  if (!lua_rawequal(L, 1, lua_upvalueindex(2)))
    return luaL_error(L, "attempt to index a library stub from outside");
  std::string lib = lua_tostring(L, lua_upvalueindex(1));
  lua_pushcfunction(L, lib == "math" ? luaopen_math : lib == "os" ? luaopen_os : luaopen_table);
  lua_call(L, 0, 1);
  int stock = lua_gettop(L);
  if (lib == "table") {
    copyFields(L, stock, 1, kTableNames, std::size(kTableNames));
    wrapWithDeadline(L, 1, "concat");
    lua_getfield(L, stock, "sort");
    lua_pushinteger(L, LuaSandbox::of(L).limits().table_sort_max);
    lua_pushcclosure(L, guardedSort, 2);
    lua_setfield(L, 1, "sort");
  } else if (lib == "math") {
    lua_pushnil(L);
    while (lua_next(L, stock) != 0) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, 1);
    }
  } else {
    lua_getfield(L, stock, "time");
    lua_setfield(L, 1, "time");
    lua_getfield(L, stock, "clock");
    lua_setfield(L, 1, "clock");
    lua_getfield(L, stock, "date");
    lua_pushcclosure(L, guardedDate, 1);
    lua_setfield(L, 1, "date");
  }
  // luaopen_* also registered the library as a global and in _LOADED: neither is reachable,
  // but both would keep it alive.
  lua_pushnil(L);
  lua_setfield(L, LUA_GLOBALSINDEX, lib.c_str());
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  if (lua_istable(L, -1)) {
    lua_pushnil(L);
    lua_setfield(L, -2, lib.c_str());
  }
  lua_settop(L, 2);
  lua_pushnil(L);
  lua_setmetatable(L, 1);
  lua_rawget(L, 1);
  return 1;
}

}  // namespace

const std::vector<std::string>& sandboxGlobalNames() {
  static const std::vector<std::string> names = {
      "assert",       "error", "ipairs",   "next",     "pairs",  "select", "tonumber",
      "tostring",     "type",  "unpack",   "rawequal", "rawget", "rawset", "getmetatable",
      "setmetatable", "pcall", "_VERSION", "string",   "table",  "math",   "os"};
  return names;
}

const char* failureName(ScriptFailure failure) {
  switch (failure) {
    case ScriptFailure::kNone:
      return "ok";
    case ScriptFailure::kError:
      return "error";
    case ScriptFailure::kTimeout:
      return "timeout";
    case ScriptFailure::kMemory:
      return "memory";
  }
  return "error";
}

LuaSandbox::LuaSandbox(const SandboxLimits& limits) : limits_(limits) {
  L_ = lua_newstate(allocate, this);
  if (!L_)
    throw std::runtime_error("could not create a Lua state");
  luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  if (lua_cpcall(L_, setupEnvironment, this) != 0) {
    std::string error = lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "unknown error";
    lua_close(L_);
    throw std::runtime_error("could not set up the Lua sandbox: " + error);
  }
  lua_gc(L_, LUA_GCCOLLECT, 0);  // the libraries' tables that the allow-list left out
}

LuaSandbox::~LuaSandbox() {
  if (L_)
    lua_close(L_);
}

LuaSandbox& LuaSandbox::of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return *static_cast<LuaSandbox*>(ud);
}

void* LuaSandbox::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* self = static_cast<LuaSandbox*>(ud);
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    std::free(ptr);
    self->used_ -= old;
    return nullptr;
  }
  // Growth past the cap fails, and only while script code runs; a shrink never fails.
  if (nsize > old && self->deadline_ != std::chrono::steady_clock::time_point() &&
      self->used_ - old + nsize > self->limits_.memory_bytes) {
    self->out_of_memory_ = true;
    return nullptr;
  }
  void* grown = std::realloc(ptr, nsize);
  if (!grown)
    return nullptr;
  self->used_ = self->used_ - old + nsize;
  return grown;
}

void LuaSandbox::checkDeadline(lua_State* L) {
  LuaSandbox& self = of(L);
  if (self.killed_ || (self.deadline_ != std::chrono::steady_clock::time_point() &&
                       std::chrono::steady_clock::now() >= self.deadline_))
    hook(L, nullptr);
}

void LuaSandbox::hook(lua_State* L, lua_Debug*) {
  LuaSandbox& self = of(L);
  if (!self.killed_) {
    if (std::chrono::steady_clock::now() < self.deadline_)
      return;
    // From now on every instruction raises again, so no pcall or loop outlives the kill.
    self.killed_ = true;
    lua_sethook(L, hook, LUA_MASKCOUNT, 1);
  }
  luaL_error(L, "script ran past its %d ms budget", self.limits_.budget_ms);
}

int LuaSandbox::protectedPcall(lua_State* L) {
  luaL_checkany(L, 1);
  int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  LuaSandbox& self = of(L);
  if (status != 0 && (self.killed_ || self.out_of_memory_))
    return lua_error(L);  // a kill is not the script's to catch
  lua_pushboolean(L, status == 0);
  lua_insert(L, 1);
  return lua_gettop(L);
}

int LuaSandbox::guardGlobalWrite(lua_State* L) {
  if (of(L).frozen_) {
    const char* name = lua_tostring(L, 2);
    return luaL_error(L, "assignment to global '%s' in a hook (use a local, an upvalue or ctx.kv)",
                      name ? name : "?");
  }
  // Into the globals table: the environment itself stays empty, so that every later
  // assignment, to a new or an existing name, comes back here.
  lua_settop(L, 3);
  lua_rawgeti(L, LUA_REGISTRYINDEX, of(L).globals_ref_);
  lua_replace(L, 1);
  lua_rawset(L, 1);
  return 0;
}

int LuaSandbox::messageHandler(lua_State* L) {
  const char* message = lua_tostring(L, 1);
  if (!message)
    message = lua_isnil(L, 1) ? "nil error" : "error object is not a string";
  luaL_traceback(L, L, message, 1);
  return 1;
}

int LuaSandbox::setupEnvironment(lua_State* L) {
  auto* self = static_cast<LuaSandbox*>(lua_touserdata(L, 1));
  lua_pushcfunction(L, luaopen_string);
  lua_call(L, 0, 0);
  lua_newtable(L);
  int env = lua_gettop(L);  // the globals; scripts reach them through an empty proxy
  installBaseFunctions(L, env);
  lua_pushcfunction(L, protectedPcall);
  lua_setfield(L, env, "pcall");
  lua_pushliteral(L, "Lua 5.1");
  lua_setfield(L, env, "_VERSION");

  lua_getfield(L, LUA_GLOBALSINDEX, "string");
  int stock_string = lua_gettop(L);
  lua_newtable(L);
  int string = lua_gettop(L);
  copyFields(L, stock_string, string, kStringNames, std::size(kStringNames));
  installBoundedPatterns(L, string, self->limits_.pattern_steps);
  for (const char* name : {"rep", "format", "upper", "lower", "reverse", "char", "byte"})
    wrapWithDeadline(L, string, name);
  lua_pushvalue(L, string);
  lua_setfield(L, env, "string");
  // Methods on strings ("x"):upper() find this table; getmetatable("") finds nothing.
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, string);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 4);

  // table, math and os open on first use: a state whose script never touches them stays
  // smaller (10,000 tenants' states should fit in 256 MiB).
  for (const char* lib : {"table", "math", "os"}) {
    lua_newtable(L);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, lib);
    lua_pushvalue(L, -3);  // the stub itself: __index answers for it alone
    lua_pushcclosure(L, openOnFirstUse, 2);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, env, lib);
  }

  lua_newtable(L);  // the proxy scripts see as their globals
  int proxy = lua_gettop(L);
  lua_newtable(L);  // its metatable: reads from the globals, guarded writes, hidden
  lua_pushvalue(L, env);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, guardGlobalWrite);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, proxy);

  // The stock globals and loaded libraries are dropped: only the environment stays reachable.
  lua_newtable(L);
  lua_replace(L, LUA_GLOBALSINDEX);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_pushvalue(L, env);
  self->globals_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, proxy);
  self->env_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

void LuaSandbox::pushGlobals() {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, globals_ref_);
}

void LuaSandbox::pushEnvironment() {
  lua_rawgeti(L_, LUA_REGISTRYINDEX, env_ref_);
}

ScriptFailure LuaSandbox::run(int nargs, int nresults, std::string& error) {
  killed_ = false;
  out_of_memory_ = false;
  int base = lua_gettop(L_) - nargs;  // the function
  lua_pushcfunction(L_, messageHandler);
  lua_insert(L_, base);
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.budget_ms);
  lua_sethook(L_, hook, LUA_MASKCOUNT, kHookEvery);
  int status = lua_pcall(L_, nargs, nresults, base);
  lua_sethook(L_, nullptr, 0, 0);
  deadline_ = {};
  lua_remove(L_, base);
  if (status == 0)
    return ScriptFailure::kNone;
  const char* message = lua_tostring(L_, -1);
  error = message ? message : (status == LUA_ERRMEM ? "not enough memory" : "error");
  lua_pop(L_, 1);
  if (killed_) {
    spoiled_ = true;
    return ScriptFailure::kTimeout;
  }
  if (out_of_memory_ || status == LUA_ERRMEM) {
    spoiled_ = true;
    return ScriptFailure::kMemory;
  }
  return ScriptFailure::kError;
}

ScriptFailure LuaSandbox::load(std::string_view source, const std::string& name,
                               std::string& error) {
  if (!source.empty() && source.front() == '\x1b') {
    error = name + ": bytecode is refused; upload the script's source text";
    return ScriptFailure::kError;
  }
  std::string chunk_name = "=" + name;
  int status = luaL_loadbufferx(L_, source.data(), source.size(), chunk_name.c_str(), "t");
  if (status != 0) {
    const char* message = lua_tostring(L_, -1);
    error = message ? message : "could not compile";
    lua_pop(L_, 1);
    return status == LUA_ERRMEM ? ScriptFailure::kMemory : ScriptFailure::kError;
  }
  pushEnvironment();
  lua_setfenv(L_, -2);
  return run(0, 1, error);
}

ScriptFailure LuaSandbox::call(int nargs, int nresults, std::string& error) {
  return run(nargs, nresults, error);
}

}  // namespace baraza
