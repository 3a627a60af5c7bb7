#pragma once

#include <map>
#include <string>
#include <tuple>

#include "storage/database.h"

namespace baraza {

// Limits, quotas and usage counted in the database (docs/limits.md): usage_counters rows keyed
// by tenant, scope ("tenant" or "contact:<id>"), period and name, moved only by single atomic
// statements inside the caller's transaction, so several engine processes sharing one database
// enforce one limit.

// The UTC period of `now_ms`: 'h' hour "h:2026-11-23T09", 'd' day "d:2026-11-23",
// 'm' month "m:2026-11".
std::string periodKey(char kind, long long now_ms);

std::string contactScope(const std::string& contact_id);

// Adds 1 unless the counter already reached `limit` (limit <= 0: no limit); true when it was
// added. Atomic: concurrent takers past the limit all get false.
bool takeUsage(TenantScope& tx, const std::string& tenant_id, const std::string& scope,
               const std::string& period, const std::string& name, long long limit);

// Adds `delta` (may be negative: a reservation given back).
void addUsage(TenantScope& tx, const std::string& tenant_id, const std::string& scope,
              const std::string& period, const std::string& name, long long delta);

long long usageValue(TenantScope& tx, const std::string& tenant_id, const std::string& scope,
                     const std::string& period, const std::string& name);

// The counts a message's usage is made of (docs/limits.md), in usage_deltas' column order: the
// usage API reports these, and a batch row carries each as a column.
inline constexpr const char* kUsageCounts[] = {
    "inbound",       "outbound",    "faq_answers", "ai_calls",      "tokens",
    "cost_microusd", "escalations", "ai_answers",  "human_replies", "unanswered"};

// Usage of a batch of messages, many tenants at once: the tenant-scope day counts of the
// names usage_deltas has columns for become one row per tenant and day, appended in one
// statement and locking no counter; foldUsage() adds each to its day's and its month's counter,
// and usageValue() reads both. Any other key is added to its counter at once.
using UsageKey = std::tuple<std::string, std::string, std::string, std::string>;
// (tenant, scope, period, name)
void addUsageBatch(TenantScope& tx, const std::map<UsageKey, long long>& deltas,
                   const std::string& batch_id);  // unique to the batch
// Moves every committed delta into usage_counters, in its own transaction.
void foldUsage(Database& db);

}  // namespace baraza
