// The end-to-end figures of a pipeline benchmark run, from the engine's database (when each
// webhook was stored) and the mock Graph API's log (when each reply arrived):
//   replies per second during the load and over the whole run, the drain after the load, and
//   the time from webhook stored to reply received (p50, p90, p99, max).
// Usage: bench_report DATABASE_URL SENDS_TSV LOAD_SECONDS
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "storage/database.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_report DATABASE_URL SENDS_TSV LOAD_SECONDS\n");
    return 2;
  }
  baraza::Database db(argv[1], 1, std::chrono::milliseconds(10000));
  double load_s = std::atof(argv[3]);
  std::map<std::string, long long> stored;  // wamid -> when its webhook was stored
  long long first = 0;
  {
    baraza::TenantScope tx(db, baraza::TenantScope::kAllTenants);
    soci::rowset<soci::row> rows =
        (tx.sql().prepare << "SELECT dedupe_key, CAST(received_ms AS TEXT) FROM inbox_events WHERE "
                             "kind = 'message'");
    for (const auto& r : rows) {
      std::string key = r.get<std::string>(0);  // message:<wamid>
      // As text: SOCI's SQLite backend reads an INTEGER column as a 32-bit int.
      long long at = std::stoll(r.get<std::string>(1));
      stored[key.substr(key.find(':') + 1)] = at;
      first = first == 0 ? at : std::min(first, at);
    }
  }
  std::ifstream in(argv[2]);
  std::string to;
  long long at = 0, last = 0, in_window = 0, total = 0, duplicates = 0, unknown = 0;
  std::map<std::string, long long> replied;
  long long window_end = first + static_cast<long long>(load_s * 1000);
  while (in >> to >> at) {
    ++total;
    last = std::max(last, at);
    if (at <= window_end)
      ++in_window;
    if (!replied.emplace(to, at).second)
      ++duplicates;
  }
  std::vector<long long> latencies;
  for (const auto& [wamid, when] : replied) {
    auto it = stored.find(wamid);
    if (it == stored.end()) {
      ++unknown;
      continue;
    }
    latencies.push_back(when - it->second);
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    return latencies.empty() ? 0LL
                             : latencies[std::min(latencies.size() - 1,
                                                  static_cast<size_t>(p * latencies.size()))];
  };
  double whole_s = last > first ? (last - first) / 1000.0 : 0;
  std::printf(
      "messages stored: %zu, replies: %lld (%lld duplicate, %lld unknown), unanswered: %zu\n",
      stored.size(), total, duplicates, unknown, stored.size() - replied.size() + unknown);
  std::printf("replies/s during the %.0f s of load: %.0f\n", load_s, in_window / load_s);
  std::printf("replies/s from the first webhook to the last reply (%.1f s): %.0f\n", whole_s,
              whole_s > 0 ? total / whole_s : 0);
  std::printf("last reply %.1f s after the load ended\n",
              std::max(0LL, last - window_end) / 1000.0);
  std::printf("webhook stored -> reply at the mock, ms: p50=%lld p90=%lld p99=%lld max=%lld\n",
              pct(0.50), pct(0.90), pct(0.99), latencies.empty() ? 0 : latencies.back());
  return 0;
}
