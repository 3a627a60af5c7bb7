#include "pipeline/usage_ledger.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <iterator>
#include <vector>

#include <nlohmann/json.hpp>

#include "storage/batch_columns.h"

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

// The delta column of the count named by `name` (an SQL expression), or 0 for another name.
std::string countColumn(const std::string& name) {
  std::string sql = "CASE " + name;
  for (const char* count : kUsageCounts)
    sql += std::string(" WHEN '") + count + "' THEN " + count;
  return sql + " ELSE 0 END";
}

// The counter plus what batches appended since the last fold: rows of the period's day, or of
// any day of the period's month.
const Statement kValue{
    "usage_value",
    "SELECT COALESCE((SELECT value FROM usage_counters WHERE tenant_id = $1 AND scope = $2 AND "
    "period = $3 AND name = $4), 0) + COALESCE((SELECT SUM(" +
        countColumn("$4") +
        ") FROM usage_deltas WHERE tenant_id = $1 AND $2 = 'tenant' AND (day = $3 OR 'm:' || "
        "substr(day, 3, 7) = $3)), 0)",
    ""};

// One row per tenant and day, its counts in kUsageCounts' order. PostgreSQL gets one array per
// column ($2 tenants, $3 days, $4... counts), SQLite one JSON array of rows
// (["tenant", "d:day", n...]).
std::string appendSql(bool pg) {
  std::string columns, values, arrays, names;
  for (size_t i = 0; i < std::size(kUsageCounts); ++i) {
    columns += std::string(", ") + kUsageCounts[i];
    values += pg ? std::string(", v.") + kUsageCounts[i] : ", value ->> " + std::to_string(i + 2);
    arrays += ", $" + std::to_string(i + 4) + "::bigint[]";
    names += std::string(", ") + kUsageCounts[i];
  }
  std::string head = "INSERT INTO usage_deltas (tenant_id, batch_id, day" + columns + ") SELECT ";
  return pg ? head + "v.tenant_id, $1, v.day" + values + " FROM unnest($2::uuid[], $3::text[]" +
                  arrays + ") AS v(tenant_id, day" + names + ")"
            : head + "value ->> 0, $1, value ->> 1" + values + " FROM json_each($2)";
}
const Statement kAppend{"usage_append", appendSql(true), appendSql(false)};

// Each delta row's counts, one per name, for its day and for its month, summed per counter.
const std::string kCount = "SUM(" + countColumn("n.name") + ")";
const std::string kPeriod = "CASE p.m WHEN 0 THEN day ELSE 'm:' || substr(day, 3, 7) END";
std::string namesTable() {
  std::string sql;
  for (const char* count : kUsageCounts)
    sql += (sql.empty() ? "SELECT '" : " UNION ALL SELECT '") + std::string(count) + "' AS name";
  return " CROSS JOIN (SELECT 0 AS m UNION ALL SELECT 1) p CROSS JOIN (" + sql + ") n ";
}
const std::string kNames = namesTable();
const std::string kInsertCounters =
    "INSERT INTO usage_counters (tenant_id, scope, period, name, value) SELECT tenant_id, "
    "'tenant', " +
    kPeriod + " AS period, n.name, " + kCount + " FROM ";
const std::string kGroupAndAdd =
    " GROUP BY tenant_id, period, n.name HAVING " + kCount +
    " <> 0 ORDER BY tenant_id, period, n.name ON CONFLICT (tenant_id, scope, period, name) DO "
    "UPDATE SET value = usage_counters.value + excluded.value";

// The deltas summed per tenant and day first (`s`), so that only those few rows are spread
// over the counters' names and periods: spreading every delta row cost 0.5 s a fold under
// load, for a few thousand rows.
std::string sumsPerDay(const std::string& from_where) {
  std::string sums;
  for (const char* count : kUsageCounts)
    sums += std::string(", SUM(") + count + ") AS " + count;
  return "s AS (SELECT tenant_id, day" + sums + " FROM " + from_where +
         " GROUP BY tenant_id, day) ";
}

// What was appended and committed, moved into the counters in one statement (PostgreSQL: rows
// appended meanwhile and not yet committed are not deleted, so they wait for the next fold),
// or two under SQLite's write lock. Deltas of a tenant deleted meanwhile are dropped.
const Statement kFold{
    "usage_fold",
    "WITH d AS (DELETE FROM usage_deltas RETURNING *), " +
        sumsPerDay("d WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.id = d.tenant_id)") +
        kInsertCounters + "s" + kNames + kGroupAndAdd,
    "WITH " + sumsPerDay("usage_deltas WHERE tenant_id IN (SELECT id FROM tenants)") +
        kInsertCounters + "s" + kNames + kGroupAndAdd};
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
  constexpr size_t kCounts = std::size(kUsageCounts);
  std::map<std::pair<std::string, std::string>, std::array<long long, kCounts>> rows;
  for (const auto& [key, delta] : deltas) {
    const auto& [tenant, scope, period, name] = key;
    auto column = std::find_if(std::begin(kUsageCounts), std::end(kUsageCounts),
                               [&](const char* n) { return name == n; });
    if (delta == 0)
      continue;
    if (scope != "tenant" || period.rfind("d:", 0) != 0 || column == std::end(kUsageCounts)) {
      addUsage(tx, tenant, scope, period, name, delta);  // not a batch row's: its counter
      continue;
    }
    auto [row, fresh] = rows.try_emplace({tenant, period});
    if (fresh)
      row->second.fill(0);
    row->second[static_cast<size_t>(column - std::begin(kUsageCounts))] += delta;
  }
  if (rows.empty())
    return;
  std::vector<BatchColumn> columns(2 + kCounts);
  for (const auto& [key, counts] : rows) {
    columns[0].emplace_back(key.first);
    columns[1].emplace_back(key.second);
    for (size_t i = 0; i < kCounts; ++i)
      columns[2 + i].emplace_back(std::to_string(counts[i]));
  }
  Params params = Params().text(batch_id);
  tx.run(kAppend, batchColumns(params, tx.dialect(), columns));
}

void foldUsage(Database& db) {
  TenantScope tx(db, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  tx.run(kFold);
  if (tx.dialect() == Dialect::kSqlite)
    tx.run(kFoldDone);
  tx.commit();
}

}  // namespace baraza
