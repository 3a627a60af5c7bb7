#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scripting/lua_sandbox.h"
#include "scripting/script_api.h"

namespace baraza {

// What one hook did.
struct HookOutcome {
  bool ran = false;  // false when neither the script nor scripts/default defines the hook
  ScriptFailure failure = ScriptFailure::kNone;
  std::string error;      // with the traceback
  nlohmann::json result;  // the hook's return value as JSON (null for nil)
  HookEffects effects;
  double elapsed_ms = 0;
};

// A tenant's script loaded into its own sandbox, on top of scripts/default/. A new version
// gets a new TenantScript: a state is never reloaded.
class TenantScript {
 public:
  // Compiles and runs `source` (after the defaults) in a fresh sandbox. nullptr with `error`
  // ("name:LINE: problem") and `failure` when it does not compile, fails or returns something
  // other than a table of hooks (or nothing, leaving hooks as globals).
  static std::unique_ptr<TenantScript> load(const std::string& source, const std::string& name,
                                            const SandboxLimits& limits, std::string& error,
                                            ScriptFailure* failure = nullptr);

  bool defines(Hook hook) const { return refs_[static_cast<size_t>(hook)] != LUA_NOREF; }
  bool tenantDefines(Hook hook) const { return own_[static_cast<size_t>(hook)]; }
  // Names the script returned that are not hooks (a typo such as "on_mesage").
  const std::vector<std::string>& unknownHooks() const { return unknown_; }

  // Runs `hook` with a fresh ctx; `extra` is the third argument (escalate's reason) or, for
  // before_send, the reply (passed instead of msg).
  HookOutcome run(Hook hook, const ScriptInput& input, ScriptServices& services,
                  const std::string& tenant, const nlohmann::json* extra = nullptr);

  LuaSandbox& sandbox() { return *sandbox_; }
  bool spoiled() const { return sandbox_->spoiled(); }
  // Collects the garbage hooks left once it passes an eighth of the loaded size, so that an
  // idle state holds little more than its script (called when a state goes back to the pool).
  void trimGarbage();

 private:
  std::unique_ptr<LuaSandbox> sandbox_;
  std::array<int, kHookCount> refs_{};
  std::array<bool, kHookCount> own_{};
  std::vector<std::string> unknown_;
  size_t loaded_bytes_ = 0;
};

// scripts/default/hooks.lua, compiled into the binary.
const std::string& defaultHooksSource();

}  // namespace baraza
