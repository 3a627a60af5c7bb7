#include "scripting/script_host.h"

#include <utility>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {

ScriptSession::ScriptSession(ScriptHost* host, std::string tenant_id, std::string slug, int version,
                             std::unique_ptr<TenantScript> script)
    : host_(host),
      tenant_id_(std::move(tenant_id)),
      slug_(std::move(slug)),
      version_(version),
      script_(std::move(script)) {}

void ScriptSession::release() {
  if (host_)
    host_->giveBack(tenant_id_, version_, std::move(script_));
  host_ = nullptr;
}

ScriptSession& ScriptSession::operator=(ScriptSession&& other) noexcept {
  if (this != &other) {
    release();
    host_ = std::exchange(other.host_, nullptr);
    tenant_id_ = std::move(other.tenant_id_);
    slug_ = std::move(other.slug_);
    version_ = other.version_;
    script_ = std::move(other.script_);
    quarantine_reason_ = std::move(other.quarantine_reason_);
    log_lines_ = std::move(other.log_lines_);
    failures_ = std::move(other.failures_);
  }
  return *this;
}

HookOutcome ScriptSession::run(Hook hook, const ScriptInput& input, ScriptServices& services,
                               const nlohmann::json* extra) {
  if (!script_)
    return {};
  HookOutcome outcome = script_->run(hook, input, services, slug_, extra);
  if (!outcome.ran)
    return outcome;
  const char* name = hookSpec(hook).name;
  for (const auto& line : outcome.effects.logs)
    log_lines_.push_back(std::string(name) + " " + line);
  if (outcome.failure != ScriptFailure::kNone)
    failures_.push_back(std::string(name) + " " + failureName(outcome.failure) + ": " +
                        outcome.error);
  std::string reason =
      host_->recordOutcome(tenant_id_, slug_, version_, hookSpec(hook).name, outcome);
  if (!reason.empty())
    quarantine_reason_ = reason;
  if (script_->spoiled())
    script_.reset();  // killed mid-hook: never reused; the next message gets a fresh state
  return outcome;
}

ScriptSession ScriptHost::open(const TenantConfig& tenant) {
  if (!tenant.script)
    return {};
  int version = tenant.script->version;
  {
    std::lock_guard lock(mutex_);
    auto h = health_.find(tenant.id);
    if (h != health_.end() && h->second.version == version && h->second.quarantined) {
      // Quarantined here: stays so until the directory has shown the quarantine and then a
      // version (this one again, too) activated afresh.
      if (tenant.script->quarantined)
        h->second.quarantine_seen = true;
      if (!h->second.quarantine_seen || tenant.script->quarantined)
        return {};
      h->second = Health{version, 0, false, false};
    }
    if (tenant.script->quarantined)
      return {};
    auto it = idle_.find(tenant.id);
    if (it != idle_.end()) {
      auto& list = it->second;
      while (!list.empty()) {
        Idle idle = std::move(list.back());
        list.pop_back();
        --idle_count_;
        if (idle.version == version) {
          ++checked_out_;
          return ScriptSession(this, tenant.id, tenant.slug, version, std::move(idle.script));
        }
        // An older version's state is closed, never reloaded.
      }
    }
  }
  std::string error;
  ScriptFailure failure = ScriptFailure::kError;
  auto script =
      TenantScript::load(tenant.script->source, tenant.slug + ".lua@v" + std::to_string(version),
                         config_.limits, error, &failure);
  auto& metrics = MetricsRegistry::global();
  if (!script) {
    HookOutcome outcome;
    outcome.ran = true;
    outcome.failure = failure;
    outcome.error = error;
    std::string reason = recordOutcome(tenant.id, tenant.slug, version, "load", outcome);
    metrics.counterAdd("baraza_script_loads_total", {{"result", "failed"}});
    if (!reason.empty()) {
      // An empty session still carries the quarantine for the caller to record.
      ScriptSession carrier(nullptr, tenant.id, tenant.slug, version, nullptr);
      carrier.quarantine_reason_ = reason;
      return carrier;
    }
    return {};
  }
  metrics.counterAdd("baraza_script_loads_total", {{"result", "loaded"}});
  std::lock_guard lock(mutex_);
  ++checked_out_;
  metrics.gaugeSet("baraza_script_states", {}, static_cast<double>(checked_out_ + idle_count_));
  return ScriptSession(this, tenant.id, tenant.slug, version, std::move(script));
}

void ScriptHost::giveBack(const std::string& tenant_id, int version,
                          std::unique_ptr<TenantScript> script) {
  std::unique_ptr<TenantScript> closing;  // closed outside the lock
  if (script)
    script->trimGarbage();
  std::lock_guard lock(mutex_);
  --checked_out_;
  if (!script) {
    // spoiled by a kill: dropped
  } else if (static_cast<int>(idle_count_ + checked_out_) >= config_.max_states) {
    closing = std::move(script);
    MetricsRegistry::global().counterAdd("baraza_script_evictions_total", {{"reason", "full"}});
  } else {
    idle_[tenant_id].push_back({std::move(script), version, std::chrono::steady_clock::now()});
    ++idle_count_;
  }
  MetricsRegistry::global().gaugeSet("baraza_script_states", {},
                                     static_cast<double>(checked_out_ + idle_count_));
}

void ScriptHost::evictIdle() {
  std::vector<std::unique_ptr<TenantScript>> closing;
  auto cutoff = std::chrono::steady_clock::now() - std::chrono::seconds(config_.idle_evict_seconds);
  std::lock_guard lock(mutex_);
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    for (auto i = list.begin(); i != list.end();) {
      if (i->since < cutoff) {
        closing.push_back(std::move(i->script));
        i = list.erase(i);
        --idle_count_;
      } else {
        ++i;
      }
    }
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
  if (!closing.empty()) {
    MetricsRegistry::global().counterAdd("baraza_script_evictions_total", {{"reason", "idle"}},
                                         static_cast<double>(closing.size()));
  }
  MetricsRegistry::global().gaugeSet("baraza_script_states", {},
                                     static_cast<double>(checked_out_ + idle_count_));
}

size_t ScriptHost::liveStates() const {
  std::lock_guard lock(mutex_);
  return checked_out_ + idle_count_;
}

void ScriptHost::markQuarantined(const std::string& tenant_id, int version) {
  std::lock_guard lock(mutex_);
  Health& h = health_[tenant_id];
  h.version = version;
  h.quarantined = true;
}

std::string ScriptHost::recordOutcome(const std::string& tenant_id, const std::string& slug,
                                      int version, const char* hook_name,
                                      const HookOutcome& outcome) {
  auto& metrics = MetricsRegistry::global();
  metrics.histogramObserve("baraza_script_hook_ms", {{"hook", hook_name}}, outcome.elapsed_ms,
                           {0.01, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100});
  std::lock_guard lock(mutex_);
  Health& h = health_[tenant_id];
  if (h.version != version)
    h = Health{version, 0, false};
  if (outcome.failure == ScriptFailure::kNone) {
    h.consecutive_failures = 0;
    metrics.counterAdd("baraza_script_runs_total", {{"hook", hook_name}, {"result", "ok"}});
    return "";
  }
  const char* kind = failureName(outcome.failure);
  metrics.counterAdd("baraza_script_runs_total", {{"hook", hook_name}, {"result", kind}});
  metrics.counterAdd("baraza_script_failures_total", {{"tenant", slug}, {"kind", kind}});
  ++h.consecutive_failures;
  spdlog::warn("script {} v{} {} failed ({}, {} in a row); default behaviour used: {}", slug,
               version, hook_name, kind, h.consecutive_failures, outcome.error);
  if (h.quarantined || h.consecutive_failures < config_.quarantine_after)
    return "";
  h.quarantined = true;
  return std::to_string(h.consecutive_failures) + " consecutive failures; last: " + hook_name +
         " " + kind + ": " + outcome.error.substr(0, 500);
}

}  // namespace baraza
