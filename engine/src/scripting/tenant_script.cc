#include "scripting/tenant_script.h"

#include <chrono>

#include "scripting/lua_json.h"

namespace baraza {
namespace {

using nlohmann::json;

struct HookEntry {
  int ref;
  Hook hook;
  const ScriptInput* input;
  const json* extra;
};

// Runs inside the sandbox's protected call, so that building ctx and the arguments is under
// the budget and the memory cap like the hook itself.
int hookEntry(lua_State* L) {
  const auto* entry = static_cast<const HookEntry*>(lua_touserdata(L, 1));
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, entry->ref);
  pushContext(L);
  int nargs = 2;
  if (entry->hook == Hook::kBeforeSend) {
    pushJson(L, entry->extra ? *entry->extra : json::object());
  } else {
    pushReadOnly(L, entry->input->message, "msg");
  }
  if (entry->hook == Hook::kEscalate) {
    pushJson(L, entry->extra ? *entry->extra : json(""));
    ++nargs;
  }
  lua_call(L, nargs, 1);
  return 1;
}

}  // namespace

std::unique_ptr<TenantScript> TenantScript::load(const std::string& source, const std::string& name,
                                                 const SandboxLimits& limits, std::string& error,
                                                 ScriptFailure* failure) {
  auto fail = [&](ScriptFailure f) -> std::unique_ptr<TenantScript> {
    if (failure)
      *failure = f;
    return nullptr;
  };
  std::unique_ptr<TenantScript> script(new TenantScript);
  script->refs_.fill(LUA_NOREF);
  script->own_.fill(false);
  try {
    script->sandbox_ = std::make_unique<LuaSandbox>(limits);
  } catch (const std::exception& e) {
    error = e.what();
    return fail(ScriptFailure::kMemory);
  }
  LuaSandbox& sandbox = *script->sandbox_;
  lua_State* L = sandbox.state();

  // Collects the hooks of the table on top of the stack (raw reads: no script code runs).
  auto collect = [&](bool own, bool report_unknown) -> bool {
    int table = lua_gettop(L);
    for (const auto& spec : hookSpecs()) {
      lua_pushstring(L, spec.name);
      lua_rawget(L, table);
      if (lua_isfunction(L, -1)) {
        auto i = static_cast<size_t>(spec.hook);
        if (script->refs_[i] != LUA_NOREF)
          luaL_unref(L, LUA_REGISTRYINDEX, script->refs_[i]);
        script->refs_[i] = luaL_ref(L, LUA_REGISTRYINDEX);
        script->own_[i] = own;
      } else if (!lua_isnil(L, -1) && report_unknown) {
        error =
            name + ": hook '" + spec.name + "' is a " + luaL_typename(L, -1) + ", not a function";
        lua_pop(L, 1);
        return false;
      } else {
        lua_pop(L, 1);
      }
    }
    if (report_unknown) {
      lua_pushnil(L);
      while (lua_next(L, table) != 0) {
        lua_pop(L, 1);
        const char* key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : nullptr;
        if (!key || !hookByName(key))
          script->unknown_.push_back(key ? key : "(a non-string key)");
      }
    }
    lua_settop(L, table - 1);
    return true;
  };

  ScriptFailure f = sandbox.load(defaultHooksSource(), "scripts/default/hooks.lua", error);
  if (f != ScriptFailure::kNone || !lua_istable(L, -1)) {
    error = "scripts/default/hooks.lua: " + error;
    return fail(ScriptFailure::kError);
  }
  collect(false, false);

  f = sandbox.load(source, name, error);
  if (f != ScriptFailure::kNone)
    return fail(f);
  if (lua_isnil(L, -1)) {  // no table returned: hooks defined as globals
    lua_pop(L, 1);
    sandbox.pushGlobals();
    collect(true, false);
  } else if (lua_istable(L, -1)) {
    if (!collect(true, true))
      return fail(ScriptFailure::kError);
  } else {
    error = name + ": the script returns a " + luaL_typename(L, -1) +
            "; it should return a table of hooks";
    lua_pop(L, 1);
    return fail(ScriptFailure::kError);
  }
  sandbox.freezeGlobals();
  lua_gc(L, LUA_GCCOLLECT, 0);
  script->loaded_bytes_ = sandbox.memoryUsed();
  return script;
}

void TenantScript::trimGarbage() {
  if (sandbox_->memoryUsed() > loaded_bytes_ + loaded_bytes_ / 8)
    lua_gc(sandbox_->state(), LUA_GCCOLLECT, 0);
}

HookOutcome TenantScript::run(Hook hook, const ScriptInput& input, ScriptServices& services,
                              const std::string& tenant, const json* extra) {
  HookOutcome out;
  int ref = refs_[static_cast<size_t>(hook)];
  if (ref == LUA_NOREF)
    return out;
  out.ran = true;
  HookCall call;
  call.hook = hook;
  call.generation = sandbox_->nextGeneration();
  call.input = &input;
  call.services = &services;
  call.effects = &out.effects;
  call.tenant = tenant;
  HookEntry entry{ref, hook, &input, extra};
  lua_State* L = sandbox_->state();
  auto started = std::chrono::steady_clock::now();
  sandbox_->setCurrentCall(&call);
  lua_pushcfunction(L, hookEntry);
  lua_pushlightuserdata(L, &entry);
  std::string error;
  out.failure = sandbox_->call(1, 1, error);
  sandbox_->setCurrentCall(nullptr);  // every handle of this ctx is dead from here
  out.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (out.failure == ScriptFailure::kNone) {
    std::string problem;
    if (!toJson(L, -1, out.result, problem)) {
      out.failure = ScriptFailure::kError;
      out.error =
          std::string(hookSpec(hook).name) + " returned a value the engine cannot use: " + problem;
    }
    lua_pop(L, 1);
  } else {
    out.error = error;
  }
  if (out.failure != ScriptFailure::kNone) {
    out.effects.reply.reset();  // a failed hook's requests are dropped; its log lines stay
    out.effects.escalation.reset();
  }
  return out;
}

}  // namespace baraza
