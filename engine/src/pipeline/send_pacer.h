#pragma once

#include <map>
#include <mutex>
#include <string>

namespace baraza {

// Pacing of sends in this process: a token bucket per phone number (Meta allows 80 messages a
// second per number by default) and a minimum gap per (number, recipient) pair (GCRA with a
// burst of one: Meta's pair rate limit). take() never blocks: it answers how long to wait, and
// the sender puts the row back for that long, so a slow recipient holds up no one else.
class SendPacer {
 public:
  SendPacer(int per_number_rate, int pair_interval_ms)
      : rate_(per_number_rate), pair_interval_ms_(pair_interval_ms) {}

  // 0 when a send from `number` to `recipient` may go now (and is counted), else the wait in ms.
  long long take(const std::string& number, const std::string& recipient, long long now_ms);

 private:
  struct Bucket {
    double tokens = 0;
    long long at_ms = 0;
  };
  std::mutex mutex_;
  int rate_;
  int pair_interval_ms_;
  std::map<std::string, Bucket> buckets_;
  std::map<std::string, long long> pair_next_ms_;  // GCRA: theoretical arrival time
};

}  // namespace baraza
