#include "pipeline/event_failures.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "pipeline/backoff.h"
#include "scripting/script_store.h"

namespace baraza {

void failEvent(StepParts& parts, LeaseKeeper& leases, const InboundEvent& event,
               const Failure& failure) {
  const PipelineConfig& config = parts.config;
  bool dead = !failure.retryable || event.attempts >= config.max_attempts;
  MetricsRegistry::global().counterAdd("baraza_inbox_failures_total",
                                       {{"outcome", dead ? "dead" : "retry"}});
  spdlog::warn("inbox: event {} failed (attempt {} of {}){}: {}", event.inbox_id, event.attempts,
               config.max_attempts, dead ? ", dead-lettered" : "", failure.message);
  try {
    long long next =
        parts.clock.nowMs() + backoffMs(event.attempts, config.retry_base_ms, config.retry_max_ms);
    parts.inbox.fail(event.inbox_id, dead, next, failure.message);
  } catch (const std::exception& e) {
    // Its lease runs out and it is taken again.
    spdlog::warn("inbox: could not record the failure of event {}: {}", event.inbox_id, e.what());
  }
  leases.dropEvents({event.inbox_id});
}

void quarantineScript(Database& db, ScriptHost& scripts, const TenantConfig& tenant, int version,
                      const std::string& reason) {
  scripts.markQuarantined(tenant.id, version);
  MetricsRegistry::global().counterAdd("baraza_script_quarantines_total",
                                       {{"tenant", tenant.slug}});
  spdlog::error(
      "script {} v{} quarantined: the tenant's messages get the default behaviour until another "
      "version is activated ({})",
      tenant.slug, version, reason);
  try {
    TenantScope tx(db, tenant.id, true);
    quarantineScriptVersion(tx.sql(), tenant.id, version, reason);
    tx.commit();
  } catch (const std::exception& e) {
    spdlog::warn("script {} v{}: could not record its quarantine: {}", tenant.slug, version,
                 e.what());
  }
}

}  // namespace baraza
