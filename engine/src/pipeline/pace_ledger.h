#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "pipeline/send_pacer.h"
#include "storage/database.h"

namespace baraza {

// Each phone number's send budget, shared by every engine on the database (the send_pace
// table): a GCRA whose theoretical arrival time (TAT) is the number's row. An engine reserves a
// few sends at a time, in one statement, and spends them from memory; so N engines send at
// most the number's rate together, not N times it, at one statement per few sends.
//
// `company` says whether another engine may be running on the database. While it says no (an
// SQLite engine alone with its file), the same GCRA runs in memory: the reservation would take
// SQLite's one write lock for nothing (measured: replies' time doubled). Asked every 2 s.
class PaceLedger {
 public:
  // `per_second`: the number's rate; a burst of one second's worth is allowed, as Meta does.
  PaceLedger(Database& db, int per_second, std::function<bool()> company = {});

  // Reserves up to `want` sends from `account` at `now_ms`. When none fits, `retry_ms` tells
  // how long until `want` do (so a saturated number costs a statement per block, not per send).
  // Throws StorageError when the database does not answer.
  SendPacer::Grant reserve(const std::string& channel_type, const std::string& account, int want,
                           long long now_ms);

 private:
  bool shared(long long now_ms);
  SendPacer::Grant grantFrom(long long& tat_us, int want, long long now_us) const;
  long long waitForBlock(long long tat_us, int want, long long now_us) const;

  Database& db_;
  std::function<bool()> company_;
  std::mutex mutex_;
  long long company_checked_ms_ = -1;
  bool company_seen_ = true;
  std::map<std::string, long long> tat_us_;  // the in-memory GCRA, while alone
  long long interval_us_;                    // one send's share of a second
  long long burst_us_;
};

}  // namespace baraza
