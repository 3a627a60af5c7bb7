// /tenants/{tenant}/usage: what a tenant used in a day or a month, and where it stands against
// its limits and quotas (docs/limits.md).
#include <ctime>

#include "admin/admin_support.h"
#include "core/iso_time.h"
#include "pipeline/usage_ledger.h"
#include "tenancy/tenant_store.h"

namespace baraza::admin {
namespace {

// "2026-11-23" (or "2026-11" for a month) as the epoch ms of its first instant, UTC.
std::optional<long long> periodStart(const std::string& at, bool month) {
  int y = 0, m = 0, d = 1;
  char tail = 0;
  int n = month ? std::sscanf(at.c_str(), "%4d-%2d%c", &y, &m, &tail)
                : std::sscanf(at.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail);
  if (n != (month ? 2 : 3) || y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > 31)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  std::time_t t = timegm(&tm);
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_mday != d || back.tm_mon != m - 1)  // 2026-02-31 is no day
    return std::nullopt;
  return static_cast<long long>(t) * 1000;
}

// A period bound with microseconds, as stored timestamps have them: compared as text on SQLite,
// "...T00:00:00Z" would sort after "...T00:00:00.5Z".
std::string isoOf(long long ms) {
  std::string iso = formatIsoUtc(static_cast<std::time_t>(ms / 1000));
  return iso.substr(0, iso.size() - 1) + ".000000Z";
}

HttpResponse showUsage(AdminRequest& r) {
  std::string period = r.http.queryParam("period");
  if (period.empty())
    period = "day";
  if (period != "day" && period != "month")
    return invalidField("period", "day or month");
  bool month = period == "month";
  long long now = static_cast<long long>(std::time(nullptr)) * 1000;
  std::string at = r.http.queryParam("at");
  long long start = now;
  if (!at.empty()) {
    auto parsed = periodStart(at, month);
    if (!parsed)
      return invalidField("at", month ? "a month as YYYY-MM" : "a day as YYYY-MM-DD");
    start = *parsed;
  }
  std::string key = periodKey(month ? 'm' : 'd', start);
  // The period's bounds, for the median over stored replies.
  std::time_t t = static_cast<std::time_t>(start / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  if (month)
    tm.tm_mday = 1;
  long long from = static_cast<long long>(timegm(&tm)) * 1000;
  if (month)
    ++tm.tm_mon;
  else
    ++tm.tm_mday;
  long long to = static_cast<long long>(timegm(&tm)) * 1000;

  TenantScope tx(r.deps.db, r.tenant->id);
  soci::session& sql = tx.sql();
  json usage{{"period", key.substr(2)}, {"kind", period}};
  for (const char* name : kUsageCounts)
    usage[name] = usageValue(tx, r.tenant->id, "tenant", key, name);
  usage["estimated_cost_usd"] = static_cast<double>(usage["cost_microusd"].get<long long>()) / 1e6;
  usage.erase("cost_microusd");

  // The median time from a message's arrival to its reply being queued.
  bool pg = tx.dialect() == Dialect::kPostgresql;
  std::string range = pg ? " AND created_at >= CAST(:f AS TIMESTAMPTZ) AND created_at < CAST(:t "
                           "AS TIMESTAMPTZ)"
                         : " AND created_at >= :f AND created_at < :t";
  std::string f = isoOf(from), tt = isoOf(to);
  long long replies = 0;
  sql << "SELECT COUNT(*) FROM messages WHERE tenant_id = :i AND direction = 'outbound' AND "
         "processing_ms IS NOT NULL" +
             range,
      soci::use(r.tenant->id), soci::use(f), soci::use(tt), soci::into(replies);
  json median = nullptr;
  if (replies > 0) {
    long long offset = (replies - 1) / 2, value = 0;
    sql << "SELECT processing_ms FROM messages WHERE tenant_id = :i AND direction = 'outbound' "
           "AND processing_ms IS NOT NULL" +
               range + " ORDER BY processing_ms LIMIT 1 OFFSET " + std::to_string(offset),
        soci::use(r.tenant->id), soci::use(f), soci::use(tt), soci::into(value);
    median = value;
  }
  usage["median_reply_ms"] = median;

  // Where the limits stand now.
  json s = readSettings(sql, r.tenant->id);
  json limits = json::object();
  auto limit = [&](const char* setting, char kind, const std::string& scope_name) {
    limits[setting] = {
        {"limit", s.value(setting, 0LL)},
        {"used", usageValue(tx, r.tenant->id, "tenant", periodKey(kind, now), scope_name)}};
  };
  limit("max_messages_per_hour", 'h', "replies");
  limit("daily_message_quota", 'd', "replies");
  limit("monthly_message_quota", 'm', "replies");
  limit("daily_ai_call_quota", 'd', "ai_calls");
  limit("daily_token_quota", 'd', "tokens");
  limits["max_messages_per_user_per_day"] = {
      {"limit", s.value("max_messages_per_user_per_day", 0LL)}};
  usage["limits"] = limits;
  return jsonReply(200, usage);
}

}  // namespace

void addUsageRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/usage", Access::kAnyCaller, showUsage});
}

}  // namespace baraza::admin
