#include "pipeline/pace_ledger.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace baraza {
namespace {

// $1 channel type, $2 account, $3 now (µs), $4 sends wanted, $5 one send's interval (µs), $6 the
// burst allowed (µs). A send fits while the TAT after it is at most now + burst: a new number
// starts with a second's worth, then one interval per send. Both SET expressions read the row
// as it was. On PostgreSQL the commit does not wait for the WAL to reach the disk: a crash may
// forget the last reservations, which costs nothing worse than a few early sends, while a
// flush per reservation cost the message path a fifth of its throughput.
const Statement kReserve{
    "send_pace_reserve",
    "WITH fast AS (SELECT set_config('synchronous_commit', 'off', true)) INSERT INTO send_pace AS "
    "p (channel_type, account, tat_us, granted) SELECT $1, $2, $3::bigint + LEAST($4::bigint, "
    "$6::bigint / $5::bigint) * $5::bigint, LEAST($4::bigint, $6::bigint / $5::bigint) FROM fast "
    "ON CONFLICT (channel_type, account) DO UPDATE SET granted = "
    "LEAST($4::bigint, GREATEST(0, ($3::bigint + $6::bigint - GREATEST(p.tat_us, $3::bigint)) / "
    "$5::bigint)), tat_us = GREATEST(p.tat_us, $3::bigint) + LEAST($4::bigint, GREATEST(0, "
    "($3::bigint + $6::bigint - GREATEST(p.tat_us, $3::bigint)) / $5::bigint)) * $5::bigint "
    "RETURNING tat_us, granted",
    "INSERT INTO send_pace AS p (channel_type, account, tat_us, granted) VALUES (?1, ?2, ?3 + "
    "MIN(?4, ?6 / ?5) * ?5, MIN(?4, ?6 / ?5)) ON CONFLICT (channel_type, account) DO UPDATE SET "
    "granted = MIN(?4, MAX(0, (?3 + ?6 - MAX(p.tat_us, ?3)) / ?5)), tat_us = MAX(p.tat_us, ?3) + "
    "MIN(?4, MAX(0, (?3 + ?6 - MAX(p.tat_us, ?3)) / ?5)) * ?5 RETURNING tat_us, granted"};

}  // namespace

PaceLedger::PaceLedger(Database& db, int per_second, std::function<bool()> company)
    : db_(db),
      company_(std::move(company)),
      interval_us_(1000000LL / std::max(per_second, 1)),
      burst_us_(interval_us_ * std::max(per_second, 1)) {}

SendPacer::Grant PaceLedger::reserve(const std::string& channel_type, const std::string& account,
                                     int want, long long now_ms) {
  const long long now_us = now_ms * 1000;
  if (!shared(now_ms)) {
    std::lock_guard lock(mutex_);
    return grantFrom(tat_us_[channel_type + '\x1f' + account], want, now_us);
  }
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
  if (grant.granted == 0)
    grant.retry_ms = waitForBlock(r.integer(0, 0), want, now_us);
  return grant;
}

bool PaceLedger::shared(long long now_ms) {
  if (!company_)
    return true;
  std::lock_guard lock(mutex_);
  if (company_checked_ms_ < 0 || now_ms - company_checked_ms_ >= 2000 ||
      now_ms < company_checked_ms_) {
    bool seen = company_();
    if (seen != company_seen_ || company_checked_ms_ < 0) {
      spdlog::info("send pacing: {}", seen ? "per-number budgets are shared through the database"
                                           : "alone on the database: budgets kept in memory");
    }
    company_seen_ = seen;
    company_checked_ms_ = now_ms;
    if (seen)
      tat_us_.clear();
  }
  return company_seen_;
}

// The statement's arithmetic, for a TAT kept in memory.
SendPacer::Grant PaceLedger::grantFrom(long long& tat_us, int want, long long now_us) const {
  long long start = std::max(tat_us, now_us);
  long long room = std::max(0LL, (now_us + burst_us_ - start) / interval_us_);
  SendPacer::Grant grant;
  grant.granted = static_cast<int>(std::min<long long>(std::max(want, 1), room));
  tat_us = start + grant.granted * interval_us_;
  if (grant.granted == 0)
    grant.retry_ms = waitForBlock(tat_us, want, now_us);
  return grant;
}

// How long until `want` sends fit (a burst at most): asked sooner, a saturated number would be
// granted one send per statement, each refusal a statement of its own.
long long PaceLedger::waitForBlock(long long tat_us, int want, long long now_us) const {
  long long block = std::clamp<long long>(want, 1, burst_us_ / interval_us_);
  long long wait_us = tat_us + block * interval_us_ - (now_us + burst_us_);
  return std::max(1LL, (wait_us + 999) / 1000);
}

}  // namespace baraza
