#pragma once

#include "pipeline/lease_keeper.h"
#include "pipeline/message_work.h"
#include "storage/database.h"

namespace baraza {

// An event whose work failed: retried later with full-jitter backoff, or dead-lettered with its
// last error after pipeline.max_attempts (listed and replayed through the admin API). Logged
// and counted (baraza_inbox_failures_total{outcome}); its lease is given up.
void failEvent(StepParts& parts, LeaseKeeper& leases, const InboundEvent& event,
               const Failure& failure);

// Records a script's quarantine (the tenant's messages get the default hooks until another
// version is activated), in its own transaction, after the message's.
void quarantineScript(Database& db, ScriptHost& scripts, const TenantConfig& tenant, int version,
                      const std::string& reason);

}  // namespace baraza
