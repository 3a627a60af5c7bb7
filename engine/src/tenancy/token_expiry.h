#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "storage/database.h"

namespace baraza {

struct ExpiringToken {
  std::string tenant_slug;
  std::string phone_number_id;
  std::string expires_at;  // ISO 8601 UTC
  long long days_left;     // whole days, rounded down: negative once expired
  bool expired;
};

// Active channel accounts of active tenants whose access token expires within `days` of `now`
// (or has expired), soonest first. Meta's long-lived tokens expire; a tenant whose token lapses
// silently stops answering, so operators are told two weeks ahead.
// `tenant_id` limits it to one tenant (row-level security does the limiting on PostgreSQL).
std::vector<ExpiringToken> expiringTokens(Database& db, std::time_t now, int days = 14,
                                          const std::string& tenant_id = TenantScope::kAllTenants);

// Logs each expiring token and sets baraza_channel_tokens_expiring; returns how many.
size_t reportExpiringTokens(Database& db);

}  // namespace baraza
