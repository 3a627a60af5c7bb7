#include "tenancy/token_expiry.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"

namespace baraza {

std::vector<ExpiringToken> expiringTokens(Database& db, std::time_t now, int days,
                                          const std::string& tenant_id) {
  std::vector<ExpiringToken> out;
  TenantScope scope(db, tenant_id);
  const std::string yes = db.dialect() == Dialect::kSqlite ? "1" : "TRUE";
  // The predicate is the wall on SQLite; on PostgreSQL row-level security is a second one.
  soci::rowset<soci::row> rows =
      (scope.sql().prepare << "SELECT t.slug, c.phone_number_id, CAST(c.token_expires_at AS TEXT) "
                              "FROM channel_accounts c JOIN tenants t ON t.id = c.tenant_id WHERE "
                              "c.active = " +
                                  yes + " AND t.active = " + yes +
                                  " AND c.token_expires_at IS NOT NULL AND (:all = '*' OR "
                                  "CAST(c.tenant_id AS TEXT) = :tenant)",
       soci::use(tenant_id), soci::use(tenant_id));
  for (const auto& r : rows) {
    auto when = parseIsoUtc(r.get<std::string>(2));
    if (!when)
      continue;
    long long diff = static_cast<long long>(*when - now);
    long long left = diff >= 0 ? diff / 86400 : -((-diff + 86399) / 86400);  // floor
    if (diff <= static_cast<long long>(days) * 86400) {
      out.push_back(
          {r.get<std::string>(0), r.get<std::string>(1), formatIsoUtc(*when), left, diff <= 0});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.expires_at < b.expires_at; });
  return out;
}

size_t reportExpiringTokens(Database& db) {
  auto tokens = expiringTokens(db, std::time(nullptr));
  for (const auto& t : tokens) {
    spdlog::warn("tenant {}: the access token of {} {} {} ({})", t.tenant_slug, t.phone_number_id,
                 t.expired ? "expired on" : "expires on", t.expires_at,
                 t.expired ? "replies fail until it is replaced"
                           : std::to_string(t.days_left) + " day(s) left");
  }
  auto& m = MetricsRegistry::global();
  m.describe("baraza_channel_tokens_expiring", "gauge",
             "Channel access tokens that expire within 14 days or have expired.");
  m.gaugeSet("baraza_channel_tokens_expiring", {}, static_cast<double>(tokens.size()));
  return tokens.size();
}

}  // namespace baraza
