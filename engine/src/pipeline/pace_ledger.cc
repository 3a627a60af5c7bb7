#include "pipeline/pace_ledger.h"

#include <algorithm>

namespace baraza {
namespace {

// $1 channel type, $2 account, $3 now (µs), $4 sends wanted, $5 one send's interval (µs), $6 the
// burst allowed (µs). A send fits while the TAT after it is at most now + burst: a new number
// starts with a second's worth, then one interval per send. Both SET expressions read the row
// as it was.
const Statement kReserve{
    "send_pace_reserve",
    "INSERT INTO send_pace AS p (channel_type, account, tat_us, granted) VALUES ($1, $2, "
    "$3::bigint + LEAST($4::bigint, $6::bigint / $5::bigint) * $5::bigint, LEAST($4::bigint, "
    "$6::bigint / $5::bigint)) ON CONFLICT (channel_type, account) DO UPDATE SET granted = "
    "LEAST($4::bigint, GREATEST(0, ($3::bigint + $6::bigint - GREATEST(p.tat_us, $3::bigint)) / "
    "$5::bigint)), tat_us = GREATEST(p.tat_us, $3::bigint) + LEAST($4::bigint, GREATEST(0, "
    "($3::bigint + $6::bigint - GREATEST(p.tat_us, $3::bigint)) / $5::bigint)) * $5::bigint "
    "RETURNING tat_us, granted",
    "INSERT INTO send_pace AS p (channel_type, account, tat_us, granted) VALUES (?1, ?2, ?3 + "
    "MIN(?4, ?6 / ?5) * ?5, MIN(?4, ?6 / ?5)) ON CONFLICT (channel_type, account) DO UPDATE SET "
    "granted = MIN(?4, MAX(0, (?3 + ?6 - MAX(p.tat_us, ?3)) / ?5)), tat_us = MAX(p.tat_us, ?3) + "
    "MIN(?4, MAX(0, (?3 + ?6 - MAX(p.tat_us, ?3)) / ?5)) * ?5 RETURNING tat_us, granted"};

}  // namespace

PaceLedger::PaceLedger(Database& db, int per_second)
    : db_(db),
      interval_us_(1000000LL / std::max(per_second, 1)),
      burst_us_(interval_us_ * std::max(per_second, 1)) {}

SendPacer::Grant PaceLedger::reserve(const std::string& channel_type, const std::string& account,
                                     int want, long long now_ms) {
  const long long now_us = now_ms * 1000;
  TenantScope tx(db_, TenantScope::kAllTenants, true);
  Rows r = tx.run(kReserve, Params()
                                .text(channel_type)
                                .text(account)
                                .integer(now_us)
                                .integer(std::max(want, 1))
                                .integer(interval_us_)
                                .integer(burst_us_));
  tx.commit();
  SendPacer::Grant grant;
  if (r.empty())
    return grant;
  grant.granted = static_cast<int>(r.integer(0, 1));
  if (grant.granted == 0) {
    // The next send fits once the TAT is within a burst of the clock again.
    long long wait_us = r.integer(0, 0) + interval_us_ - (now_us + burst_us_);
    grant.retry_ms = std::max(1LL, (wait_us + 999) / 1000);
  }
  return grant;
}

}  // namespace baraza
