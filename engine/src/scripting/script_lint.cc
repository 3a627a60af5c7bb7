#include "scripting/script_lint.h"

#include <lua.hpp>

#include <regex>
#include <set>

#include "scripting/lua_sandbox.h"
#include "scripting/tenant_script.h"

namespace baraza {
namespace {

// Walks every function's bytecode with jit.util (as jit/bc.lua does) and returns
// {kind, name, line, defined_at} for each global read (GGET) and write (GSET). The opcodes are
// found by compiling a probe, so no LuaJIT version's numbering is assumed.
constexpr const char* kWalker = R"lua(
local util = require("jit.util")
local chunk = ...
local function ops(fn)
  local list, pc = {}, 1
  while true do
    local ins = util.funcbc(fn, pc)
    if not ins then break end
    list[#list + 1] = ins % 256
    pc = pc + 1
  end
  return list
end
local probe = ops(loadstring("x = y"))
local GGET, GSET = probe[1], probe[2]
local found = {}
local function walk(fn)
  local defined = util.funcinfo(fn).linedefined or 0
  local pc = 1
  while true do
    local ins = util.funcbc(fn, pc)
    if not ins then break end
    local op = ins % 256
    if op == GGET or op == GSET then
      local name = util.funck(fn, -math.floor(ins / 65536) - 1)
      found[#found + 1] = { op == GSET and "set" or "get", tostring(name),
                            util.funcinfo(fn, pc).currentline or 0, defined }
    end
    pc = pc + 1
  end
  for n = -1, -1000000, -1 do
    local k = util.funck(fn, n)
    if k == nil then break end
    if type(k) == "proto" then walk(k) end
  end
end
walk(chunk)
return found
)lua";

int lineOf(const std::string& error) {
  std::smatch m;
  static const std::regex line(R"(:(\d+):)");
  return std::regex_search(error, m, line) ? std::stoi(m[1]) : 0;
}

}  // namespace

LintReport lintScript(const std::string& source, const std::string& name,
                      const SandboxLimits& limits) {
  LintReport report;
  auto script = TenantScript::load(source, name, limits, report.error);
  if (!script) {
    report.error_line = lineOf(report.error);
    return report;
  }
  report.ok = true;
  for (const auto& spec : hookSpecs()) {
    if (script->tenantDefines(spec.hook))
      report.hooks.push_back(spec.name);
  }
  std::string hook_names;
  for (const auto& spec : hookSpecs())
    hook_names += std::string(hook_names.empty() ? "" : ", ") + spec.name;
  for (const auto& unknown : script->unknownHooks())
    report.warnings.push_back({0, "'" + unknown + "' is not a hook (hooks: " + hook_names + ")"});

  lua_State* L = luaL_newstate();  // trusted: compiles the script, never runs it
  if (!L)
    return report;
  luaL_openlibs(L);
  std::string chunk_name = "=" + name;
  if (luaL_loadstring(L, kWalker) == 0 &&
      luaL_loadbufferx(L, source.data(), source.size(), chunk_name.c_str(), "t") == 0 &&
      lua_pcall(L, 1, 1, 0) == 0 && lua_istable(L, -1)) {
    const auto& names = sandboxGlobalNames();
    const std::set<std::string> allowed(names.begin(), names.end());
    std::set<std::string> set_at_load;
    struct Access {
      std::string kind, global;
      int line, defined;
    };
    std::vector<Access> accesses;
    for (int i = 1;; ++i) {
      lua_rawgeti(L, -1, i);
      if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        break;
      }
      Access a;
      for (int f = 1; f <= 4; ++f) {
        lua_rawgeti(L, -1, f);
        if (f <= 2)
          (f == 1 ? a.kind : a.global) = lua_tostring(L, -1) ? lua_tostring(L, -1) : "";
        else
          (f == 3 ? a.line : a.defined) = static_cast<int>(lua_tointeger(L, -1));
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
      if (a.kind == "set" && a.defined == 0)
        set_at_load.insert(a.global);
      accesses.push_back(std::move(a));
    }
    for (const auto& a : accesses) {
      if (a.kind == "set" && a.defined > 0) {
        report.warnings.push_back(
            {a.line, "assigns global '" + a.global +
                         "' inside a function: it raises at run time (use a local or ctx.kv)"});
      } else if (a.kind == "set" && !hookByName(a.global)) {
        report.warnings.push_back(
            {a.line, "sets global '" + a.global + "' at load: prefer a local"});
      } else if (a.kind == "get" && !allowed.count(a.global) && !set_at_load.count(a.global)) {
        report.warnings.push_back(
            {a.line, "reads global '" + a.global + "', which does not exist in the sandbox"});
      }
    }
  }
  lua_close(L);
  return report;
}

}  // namespace baraza
