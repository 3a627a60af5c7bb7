#include "pipeline/usage_ledger.h"

#include <ctime>

namespace baraza {

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

bool takeUsage(soci::session& sql, const std::string& tenant_id, const std::string& scope,
               const std::string& period, const std::string& name, long long limit) {
  if (limit <= 0) {
    addUsage(sql, tenant_id, scope, period, name, 1);
    return true;
  }
  // One statement: a new row starts at 1; an existing one moves only while under the limit,
  // under its row lock (PostgreSQL) or the write lock (SQLite).
  long long value = 0;
  soci::indicator vi = soci::i_null;
  sql << "INSERT INTO usage_counters (tenant_id, scope, period, name, value) VALUES (:t, :s, :p, "
         ":n, 1) ON CONFLICT (tenant_id, scope, period, name) DO UPDATE SET value = "
         "usage_counters.value + 1 WHERE usage_counters.value < :l RETURNING value",
      soci::use(tenant_id), soci::use(scope), soci::use(period), soci::use(name), soci::use(limit),
      soci::into(value, vi);
  return sql.got_data() && vi == soci::i_ok;
}

void addUsage(soci::session& sql, const std::string& tenant_id, const std::string& scope,
              const std::string& period, const std::string& name, long long delta) {
  sql << "INSERT INTO usage_counters (tenant_id, scope, period, name, value) VALUES (:t, :s, :p, "
         ":n, :d) ON CONFLICT (tenant_id, scope, period, name) DO UPDATE SET value = "
         "usage_counters.value + :d2",
      soci::use(tenant_id), soci::use(scope), soci::use(period), soci::use(name), soci::use(delta),
      soci::use(delta);
}

long long usageValue(soci::session& sql, const std::string& tenant_id, const std::string& scope,
                     const std::string& period, const std::string& name) {
  long long value = 0;
  soci::indicator vi = soci::i_null;
  sql << "SELECT value FROM usage_counters WHERE tenant_id = :t AND scope = :s AND period = :p "
         "AND name = :n",
      soci::use(tenant_id), soci::use(scope), soci::use(period), soci::use(name),
      soci::into(value, vi);
  return sql.got_data() && vi == soci::i_ok ? value : 0;
}

}  // namespace baraza
