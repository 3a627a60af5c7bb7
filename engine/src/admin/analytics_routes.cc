// GET /tenants/{tenant}/analytics?days=30&to=YYYY-MM-DD: a tenant's day-by-day figures for the
// console's charts. The counts come from the usage counters (one row per day and count, plus
// the batches not folded yet), so 90 days read at most 900 counter rows; the median reply time
// of a day that is over is computed once and kept (reply_medians), today's read from its
// replies.
#include <ctime>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "admin/admin_support.h"
#include "core/iso_time.h"
#include "pipeline/clock.h"
#include "pipeline/usage_ledger.h"

namespace baraza::admin {
namespace {

constexpr long long kDayMs = 86400000;

std::string dayOf(long long ms) {
  return periodKey('d', ms).substr(2);
}

// The bounds as stored timestamps compare (fixed width, microseconds).
std::string startOfDay(long long ms) {
  return dayOf(ms) + "T00:00:00.000000Z";
}

json emptyDay(const std::string& day) {
  json d{{"day", day}, {"median_reply_ms", nullptr}};
  for (const char* name : kUsageCounts)
    d[name] = 0;
  return d;
}

void addCounters(soci::session& sql, const std::string& tenant, const std::string& first,
                 const std::string& last, std::map<std::string, json>& days) {
  std::string from = "d:" + first, to = "d:" + last;
  soci::rowset<soci::row> counters =
      (sql.prepare << "SELECT period, name, value FROM usage_counters WHERE tenant_id = :t AND "
                      "scope = 'tenant' AND period >= :f AND period <= :l",
       soci::use(tenant), soci::use(from), soci::use(to));
  for (const auto& r : counters) {
    auto day = days.find(r.get<std::string>(0).substr(2));
    std::string name = r.get<std::string>(1);
    if (day != days.end() && day->second.contains(name))
      day->second[name] = day->second[name].get<long long>() + rowInt(r, 2);
  }
  // What batches appended since the last fold (every few seconds).
  std::string sums;
  for (const char* name : kUsageCounts)
    sums += std::string(", CAST(SUM(") + name + ") AS BIGINT)";
  soci::rowset<soci::row> deltas =
      (sql.prepare << "SELECT day" + sums +
                          " FROM usage_deltas WHERE tenant_id = :t AND day >= :f AND day <= :l "
                          "GROUP BY day",
       soci::use(tenant), soci::use(from), soci::use(to));
  for (const auto& r : deltas) {
    auto day = days.find(r.get<std::string>(0).substr(2));
    if (day == days.end())
      continue;
    size_t i = 1;
    for (const char* name : kUsageCounts)
      day->second[name] = day->second[name].get<long long>() + rowInt(r, i++);
  }
}

// The median time from a message to the bot's reply, per day of [from_ms, end_ms) (the lower
// median, as /usage), read from the period's replies through messages_by_time.
std::map<std::string, long long> computeMedians(TenantScope& tx, const std::string& tenant,
                                                long long from_ms, long long end_ms) {
  bool pg = tx.dialect() == Dialect::kPostgresql;
  std::string day =
      pg ? "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" : "substr(created_at, 1, 10)";
  std::string range = pg ? "created_at >= CAST(:f AS TIMESTAMPTZ) AND created_at < CAST(:e AS "
                           "TIMESTAMPTZ)"
                         : "created_at >= :f AND created_at < :e";
  std::string text =
      "SELECT d, processing_ms FROM (SELECT " + day +
      " AS d, processing_ms, ROW_NUMBER() OVER (PARTITION BY " + day +
      " ORDER BY processing_ms) AS rn, COUNT(*) OVER (PARTITION BY " + day +
      ") AS n FROM messages WHERE tenant_id = :t AND " + range +
      " AND direction = 'outbound' AND processing_ms IS NOT NULL) AS ranked WHERE rn = (n + 1) / "
      "2";
  std::string from = startOfDay(from_ms), end = startOfDay(end_ms);
  soci::rowset<soci::row> rows =
      (tx.sql().prepare << text, soci::use(tenant), soci::use(from), soci::use(end));
  std::map<std::string, long long> medians;
  for (const auto& r : rows)
    medians[r.get<std::string>(0)] = rowInt(r, 1);
  return medians;
}

// A finished day's median to keep (nullopt: no bot reply that day).
using KeptMedian = std::pair<std::string, std::optional<long long>>;

// A day that is over keeps its median in reply_medians, computed the first time it is asked
// for; today's (and a day to come) is computed at every call. Returns the medians to keep.
std::vector<KeptMedian> addMedians(TenantScope& tx, const std::string& tenant, long long first_ms,
                                   long long last_ms, std::map<std::string, json>& days) {
  std::string today = dayOf(systemNowMs());
  std::set<std::string> kept;
  std::string first = dayOf(first_ms), last = dayOf(last_ms);
  soci::rowset<soci::row> cached =
      (tx.sql().prepare << "SELECT day, COALESCE(median_ms, -1) FROM reply_medians WHERE "
                           "tenant_id = :t AND day >= :f AND day <= :l",
       soci::use(tenant), soci::use(first), soci::use(last));
  for (const auto& r : cached) {
    std::string day = r.get<std::string>(0);
    long long median = rowInt(r, 1);
    kept.insert(day);
    if (auto d = days.find(day); d != days.end() && median >= 0)
      d->second["median_reply_ms"] = median;
  }
  auto toCompute = [&](const std::string& day) { return !kept.count(day) || day >= today; };
  long long from_ms = -1, end_ms = -1;
  for (long long ms = first_ms; ms <= last_ms; ms += kDayMs) {
    if (!toCompute(dayOf(ms)))
      continue;
    if (from_ms < 0)
      from_ms = ms;
    end_ms = ms + kDayMs;
  }
  std::vector<KeptMedian> keep;
  if (from_ms < 0)
    return keep;
  std::map<std::string, long long> medians = computeMedians(tx, tenant, from_ms, end_ms);
  for (long long ms = from_ms; ms < end_ms; ms += kDayMs) {
    std::string day = dayOf(ms);
    if (!toCompute(day))
      continue;
    auto found = medians.find(day);
    std::optional<long long> median;
    if (found != medians.end())
      days[day]["median_reply_ms"] = *(median = found->second);
    if (day < today)
      keep.emplace_back(day, median);
  }
  return keep;
}

// Writes the medians in a short transaction of their own: on SQLite the computing above holds
// no write lock the message path would wait for.
void keepMedians(Database& db, const std::string& tenant, const std::vector<KeptMedian>& keep) {
  if (keep.empty())
    return;
  TenantScope tx(db, tenant, true);
  for (const auto& [day, median] : keep) {
    long long value = median.value_or(0);
    soci::indicator known = median ? soci::i_ok : soci::i_null;
    tx.sql() << "INSERT INTO reply_medians (tenant_id, day, median_ms) VALUES (:t, :d, :m) ON "
                "CONFLICT (tenant_id, day) DO NOTHING",
        soci::use(tenant), soci::use(day), soci::use(value, known);
  }
  tx.commit();
}

HttpResponse showAnalytics(AdminRequest& r) {
  long long count = 30;
  std::string days_param = r.http.queryParam("days");
  if (!days_param.empty()) {
    char* end = nullptr;
    count = std::strtoll(days_param.c_str(), &end, 10);
    if (*end != '\0' || count < 1 || count > 90)
      return invalidField("days", "a number of days, 1 to 90");
  }
  long long last_ms = systemNowMs();
  std::string to = r.http.queryParam("to");
  if (!to.empty()) {
    auto t = parseIsoUtc(to);
    if (!t || to.size() != 10)
      return invalidField("to", "a day as YYYY-MM-DD");
    last_ms = static_cast<long long>(*t) * 1000;
  }
  long long first_ms = last_ms - (count - 1) * kDayMs;
  std::map<std::string, json> days;
  for (long long ms = first_ms; ms <= last_ms; ms += kDayMs)
    days.emplace(dayOf(ms), emptyDay(dayOf(ms)));

  std::vector<KeptMedian> keep;
  {
    TenantScope tx(r.deps.db, r.tenant->id);
    addCounters(tx.sql(), r.tenant->id, dayOf(first_ms), dayOf(last_ms), days);
    keep = addMedians(tx, r.tenant->id, first_ms, last_ms, days);
  }
  keepMedians(r.deps.db, r.tenant->id, keep);

  json list = json::array();
  json totals = emptyDay("");
  totals.erase("day");
  totals.erase("median_reply_ms");
  for (auto& [day, d] : days) {
    d["estimated_cost_usd"] = static_cast<double>(d["cost_microusd"].get<long long>()) / 1e6;
    for (const char* name : kUsageCounts)
      totals[name] = totals[name].get<long long>() + d[name].get<long long>();
    d.erase("cost_microusd");
    list.push_back(d);
  }
  totals["estimated_cost_usd"] =
      static_cast<double>(totals["cost_microusd"].get<long long>()) / 1e6;
  totals.erase("cost_microusd");
  return jsonReply(
      200, {{"from", dayOf(first_ms)}, {"to", dayOf(last_ms)}, {"days", list}, {"totals", totals}});
}

}  // namespace

void addAnalyticsRoutes(std::vector<AdminRoute>& routes) {
  routes.push_back({"GET", "tenants/{tenant}/analytics", Access::kAnyCaller, showAnalytics});
}

}  // namespace baraza::admin
