#include "pipeline/usage_ledger.h"

#include <ctime>

#include <nlohmann/json.hpp>

namespace baraza {
namespace {

// A new row starts at 1; an existing one moves only while under the limit, under its row lock
// (PostgreSQL) or the write lock (SQLite).
const Statement kTake{
    "usage_take",
    "INSERT INTO usage_counters (tenant_id, scope, period, name, value) VALUES ($1, $2, $3, $4, "
    "1) ON CONFLICT (tenant_id, scope, period, name) DO UPDATE SET value = usage_counters.value "
    "+ 1 WHERE usage_counters.value < $5 RETURNING value",
    ""};

const Statement kAdd{
    "usage_add",
    "INSERT INTO usage_counters (tenant_id, scope, period, name, value) VALUES ($1, $2, $3, $4, "
    "$5) ON CONFLICT (tenant_id, scope, period, name) DO UPDATE SET value = usage_counters.value "
    "+ excluded.value",
    ""};

// The counter plus what batches appended since the last fold.
const Statement kValue{
    "usage_value",
    "SELECT COALESCE((SELECT value FROM usage_counters WHERE tenant_id = $1 AND scope = $2 AND "
    "period = $3 AND name = $4), 0) + COALESCE((SELECT SUM(value) FROM usage_deltas WHERE "
    "tenant_id = $1 AND scope = $2 AND period = $3 AND name = $4), 0)",
    ""};

const Statement kAppend{
    "usage_append",
    "INSERT INTO usage_deltas (tenant_id, batch_id, scope, period, name, value) SELECT "
    "(r->>0)::uuid, $1, r->>1, r->>2, r->>3, (r->>4)::bigint FROM json_array_elements($2::json) "
    "AS r",
    "INSERT INTO usage_deltas (tenant_id, batch_id, scope, period, name, value) SELECT value ->> "
    "0, $1, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each($2)"};

// What was appended and committed, moved into the counters in one statement (PostgreSQL: rows
// appended meanwhile and not yet committed are not deleted, so they wait for the next fold),
// or two under SQLite's write lock.
const Statement kFold{
    "usage_fold",
    "WITH d AS (DELETE FROM usage_deltas RETURNING tenant_id, scope, period, name, value) INSERT "
    "INTO usage_counters (tenant_id, scope, period, name, value) SELECT tenant_id, scope, "
    "period, name, SUM(value) FROM d WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = "
    "d.tenant_id) GROUP BY tenant_id, scope, period, name ORDER BY "
    "tenant_id, scope, period, name ON CONFLICT (tenant_id, scope, period, name) DO UPDATE SET "
    "value = usage_counters.value + excluded.value",
    "INSERT INTO usage_counters (tenant_id, scope, period, name, value) SELECT tenant_id, scope, "
    "period, name, SUM(value) FROM usage_deltas WHERE tenant_id IN (SELECT id FROM tenants) "
    "GROUP BY tenant_id, scope, period, name ON "
    "CONFLICT (tenant_id, scope, period, name) DO UPDATE SET value = usage_counters.value + "
    "excluded.value"};
const Statement kFoldDone{"usage_fold_done", "DELETE FROM usage_deltas", ""};

}  // namespace

std::string periodKey(char kind, long long now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  if (kind == 'h')
    std::strftime(buf, sizeof(buf), "h:%Y-%m-%dT%H", &tm);
  else if (kind == 'd')
    std::strftime(buf, sizeof(buf), "d:%Y-%m-%d", &tm);
  else
    std::strftime(buf, sizeof(buf), "m:%Y-%m", &tm);
  return buf;
}

std::string contactScope(const std::string& contact_id) {
  return "contact:" + contact_id;
}

bool takeUsage(TenantScope& tx, const std::string& tenant_id, const std::string& scope,
               const std::string& period, const std::string& name, long long limit) {
  if (limit <= 0) {
    addUsage(tx, tenant_id, scope, period, name, 1);
    return true;
  }
  Rows r =
      tx.run(kTake, Params().text(tenant_id).text(scope).text(period).text(name).integer(limit));
  return !r.empty();
}

void addUsage(TenantScope& tx, const std::string& tenant_id, const std::string& scope,
              const std::string& period, const std::string& name, long long delta) {
  tx.run(kAdd, Params().text(tenant_id).text(scope).text(period).text(name).integer(delta));
}

long long usageValue(TenantScope& tx, const std::string& tenant_id, const std::string& scope,
                     const std::string& period, const std::string& name) {
  Rows r = tx.run(kValue, Params().text(tenant_id).text(scope).text(period).text(name));
  return r.empty() ? 0 : r.integer(0, 0);
}

void addUsageBatch(TenantScope& tx, const std::map<UsageKey, long long>& deltas,
                   const std::string& batch_id) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [key, delta] : deltas) {
    if (delta != 0)
      rows.push_back(
          {std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), delta});
  }
  if (!rows.empty())
    tx.run(kAppend, Params().text(batch_id).text(rows.dump()));
}

void foldUsage(Database& db) {
  TenantScope tx(db, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  tx.run(kFold);
  if (tx.dialect() == Dialect::kSqlite)
    tx.run(kFoldDone);
  tx.commit();
}

}  // namespace baraza
