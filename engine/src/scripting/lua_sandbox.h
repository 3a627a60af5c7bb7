#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <lua.hpp>

#include "scripting/scripting_config.h"

namespace baraza {

struct HookCall;

enum class ScriptFailure { kNone, kError, kTimeout, kMemory };
const char* failureName(ScriptFailure failure);  // "error", "timeout", "memory"

// The names a script's environment holds: the allow-list (the linter and docs read it here).
const std::vector<std::string>& sandboxGlobalNames();

// One LuaJIT state for untrusted tenant code (docs/scripting.md, "Sandbox"):
// - its own heap through a capping allocator (never refuses a shrink);
// - the JIT off, so the instruction hook sees every loop;
// - an instruction hook that checks the wall clock; past the budget it re-arms itself at every
//   instruction and raises, and the sandbox's pcall re-raises, so the kill cannot be caught;
// - an environment built from an allow-list (no io, os beyond time/clock/date, package,
//   require, load*, dofile, debug, jit, ffi, string.dump, getfenv, setfenv, newproxy,
//   collectgarbage, xpcall, print), bounded pattern functions, a guarded table.sort and
//   os.date, and the string metatable hidden;
// - text chunks only: bytecode is refused.
// Not thread-safe: one thread uses a sandbox at a time.
class LuaSandbox {
 public:
  explicit LuaSandbox(const SandboxLimits& limits);  // throws std::runtime_error
  ~LuaSandbox();
  LuaSandbox(const LuaSandbox&) = delete;
  LuaSandbox& operator=(const LuaSandbox&) = delete;

  lua_State* state() { return L_; }
  const SandboxLimits& limits() const { return limits_; }

  // Compiles `source` as text in the sandbox environment and runs it within the budget,
  // leaving its one result on the stack. On failure, `error` reads "name:LINE: problem".
  ScriptFailure load(std::string_view source, const std::string& name, std::string& error);

  // Calls the function below `nargs` arguments on the stack under the budget, leaving
  // `nresults` results (or nothing on failure, with `error` holding the message and traceback).
  ScriptFailure call(int nargs, int nresults, std::string& error);

  // After load, globals are frozen: a hook that assigns one, new or existing, raises.
  void freezeGlobals() { frozen_ = true; }
  // The environment chunks run in: an empty proxy whose metatable reads the globals.
  void pushEnvironment();
  void pushGlobals();  // the table holding the globals (the allow-list and the script's own)
  size_t memoryUsed() const { return used_; }
  // A state that was killed (time or memory) may hold half-updated script data: discard it.
  bool spoiled() const { return spoiled_; }

  static LuaSandbox& of(lua_State* L);  // the sandbox that owns L

  // For C functions that may work long between two instructions (patterns, sort, rep...):
  // past the budget, raises the kill as the instruction hook would.
  static void checkDeadline(lua_State* L);
  // Moves the deadline on by time the host spent on the script's behalf (database calls), so
  // a slow database does not count as the script's time.
  void extendDeadline(std::chrono::steady_clock::duration by) {
    if (deadline_ != std::chrono::steady_clock::time_point())
      deadline_ += by;
  }

  // The hook that is running (ctx functions find it here); nullptr between hooks.
  HookCall* currentCall() const { return call_; }
  void setCurrentCall(HookCall* call) { call_ = call; }
  unsigned nextGeneration() { return ++generation_; }

 private:
  static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);
  static void hook(lua_State* L, lua_Debug* ar);
  static int protectedPcall(lua_State* L);
  static int setupEnvironment(lua_State* L);
  static int guardGlobalWrite(lua_State* L);
  static int messageHandler(lua_State* L);
  ScriptFailure run(int nargs, int nresults, std::string& error);

  SandboxLimits limits_;
  lua_State* L_ = nullptr;
  size_t used_ = 0;
  int env_ref_ = LUA_NOREF;
  int globals_ref_ = LUA_NOREF;
  bool frozen_ = false;
  bool killed_ = false;
  bool out_of_memory_ = false;
  bool spoiled_ = false;
  std::chrono::steady_clock::time_point deadline_;
  HookCall* call_ = nullptr;
  unsigned generation_ = 0;
};

}  // namespace baraza
