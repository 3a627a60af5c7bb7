#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "scripting/tenant_script.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

class ScriptHost;

// One message's use of its tenant's script: a state checked out of the host for this thread,
// returned (or dropped, when a kill spoiled it) when the session ends. Empty when the tenant
// has no runnable script; then every hook "does not run" and the engine's defaults apply.
class ScriptSession {
 public:
  ScriptSession() = default;
  ScriptSession(ScriptHost* host, std::string tenant_id, std::string slug, int version,
                std::unique_ptr<TenantScript> script);
  ScriptSession(ScriptSession&& other) noexcept { *this = std::move(other); }
  ScriptSession& operator=(ScriptSession&& other) noexcept;
  ~ScriptSession() { release(); }

  explicit operator bool() const { return script_ != nullptr; }
  bool defines(Hook hook) const { return script_ && script_->defines(hook); }
  int version() const { return version_; }

  // Runs a hook; a failure is logged with the tenant, hook and traceback, counted, and
  // returned with ran = true and failure set: the caller then applies the default behaviour.
  HookOutcome run(Hook hook, const ScriptInput& input, ScriptServices& services,
                  const nlohmann::json* extra = nullptr);

  // Set when this session's failures reached the quarantine threshold: the caller records the
  // quarantine (ScriptHost::quarantine) once its own transaction is over.
  const std::string& quarantineReason() const { return quarantine_reason_; }
  // Every hook's log lines ("hook level: text") and failures ("hook kind: error"), in order.
  const std::vector<std::string>& logLines() const { return log_lines_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  friend class ScriptHost;
  void release();  // gives the state back (or drops it when spoiled)
  ScriptHost* host_ = nullptr;
  std::string tenant_id_, slug_;
  int version_ = 0;
  std::unique_ptr<TenantScript> script_;
  std::string quarantine_reason_;
  std::vector<std::string> log_lines_, failures_;
};

// Every tenant's script states in this process: one per tenant per concurrent worker, made on
// first use, kept idle for reuse, closed when idle too long or when the version changes.
// Thread-safe.
class ScriptHost {
 public:
  explicit ScriptHost(ScriptingConfig config) : config_(std::move(config)) {}

  const ScriptingConfig& config() const { return config_; }
  // A session for the tenant's active script (empty when none, or quarantined).
  ScriptSession open(const TenantConfig& tenant);
  // Records a quarantine: the version is skipped from now on in this process and, once
  // written (by the caller's transaction through quarantineScriptVersion), in every process.
  void markQuarantined(const std::string& tenant_id, int version);
  size_t liveStates() const;
  void evictIdle();  // closes states idle past idle_evict_seconds

 private:
  friend class ScriptSession;
  struct Idle {
    std::unique_ptr<TenantScript> script;
    int version;
    std::chrono::steady_clock::time_point since;
  };
  struct Health {
    int version = 0;
    int consecutive_failures = 0;
    bool quarantined = false;
    bool quarantine_seen = false;  // the directory has shown this process's quarantine
  };
  void giveBack(const std::string& tenant_id, int version, std::unique_ptr<TenantScript> script);
  // Returns the quarantine reason when this failure crosses the threshold.
  std::string recordOutcome(const std::string& tenant_id, const std::string& slug, int version,
                            const char* hook_name, const HookOutcome& outcome);

  ScriptingConfig config_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<Idle>> idle_;  // tenant id -> idle states
  std::map<std::string, Health> health_;
  size_t checked_out_ = 0;
  size_t idle_count_ = 0;
};

}  // namespace baraza
