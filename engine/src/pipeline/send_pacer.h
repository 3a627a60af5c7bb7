#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/incident_log.h"

namespace baraza {

// Pacing of sends: a budget per phone number (Meta allows 80 messages a second per number by
// default) and a minimum gap per (number, recipient) pair (GCRA with a burst of one: Meta's pair
// rate limit). take() never blocks: it answers how long to wait, and the sender puts the row back
// for that long, so a slow recipient holds up no one else.
//
// The number's budget is shared by every engine on the database when `shared` is given
// (PaceLedger): sends are reserved from it a few at a time and spent from memory. When it fails
// (the database away), this process paces alone with a token bucket of its own for a second,
// then asks again: logged once and counted (baraza_send_pace_shared_failures_total). The pair gap
// is this process's own.
class SendPacer {
 public:
  struct Grant {
    int granted = 0;         // sends reserved from now on
    long long retry_ms = 0;  // when none: the wait until one fits
  };
  // Reserves up to `want` sends from `number` at `now_ms`; may throw.
  using Reserve = std::function<Grant(const std::string& number, int want, long long now_ms)>;

  SendPacer(int per_number_rate, int pair_interval_ms, Reserve shared = {});

  // 0 when a send from `number` to `recipient` may go now (and is counted), else the wait in ms.
  long long take(const std::string& number, const std::string& recipient, long long now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    long long at_ms = 0;
  };
  // A number's sends reserved from the shared budget. Its mutex is held while the ledger is
  // asked: the number's other sends wait for the answer, no other number's do.
  struct Reserved {
    std::mutex mutex;
    int sends = 0;
    long long until_ms = 0;    // reserved sends not spent by then are dropped
    long long refused_ms = 0;  // the ledger had none: not asked again before this
  };
  long long takeFromNumber(Reserved& r, const std::string& number, long long now_ms);
  long long takeLocally(const std::string& number, long long now_ms);  // holds mutex_

  std::mutex mutex_;  // the maps, the pair gaps and the local buckets
  int rate_;
  int pair_interval_ms_;
  Reserve shared_;
  int block_;  // sends reserved at a time
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, std::unique_ptr<Reserved>> reserved_;
  std::map<std::string, long long> pair_next_ms_;  // GCRA: theoretical arrival time
  std::atomic<long long> alone_until_ms_{0};       // the ledger failed: local pacing till then
  IncidentLog shared_incidents_{"send pacing: the shared budget in the database"};
};

}  // namespace baraza
