// Two engines on one database send a number's rate together, not each (issue 17: send pacing
// was per process, so N engines sent N times Meta's per-number rate).
#include <algorithm>
#include <chrono>
#include <mutex>

#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

class SharedPacing : public Pipeline {
 protected:
  // Sends `n` messages from distinct customers to each engine in turn and returns how long
  // the mock Graph API took to receive all the replies, from the first.
  double secondsToSend(int n, const std::map<std::string, std::string>& pace) {
    std::mutex mutex;
    std::vector<std::chrono::steady_clock::time_point> at;
    graph_.respond([&](const RecordedRequest&) {
      std::lock_guard lock(mutex);
      at.push_back(std::chrono::steady_clock::now());
      return sent(++sends_);
    });
    limitsOff();
    start(pace);
    auto env = env_;
    env.insert(pace.begin(), pace.end());
    EngineProcess second(config(), env);
    for (int i = 0; i < n; ++i) {
      std::string body = textWebhook({{"wamid.PACE-" + std::to_string(i), "habari"}},
                                     "2547150" + std::to_string(10000 + i));
      auto r = httpRequest(i % 2 ? second.port() : engine_->port(), "POST", "/webhook/whatsapp",
                           body, {{"X-Hub-Signature-256", sign(body)}});
      EXPECT_EQ(r.status, 200) << r.body;
    }
    EXPECT_TRUE(eventually([&] { return static_cast<int>(messageSends()) >= n; }))
        << messageSends() << " of " << n << " sent\n"
        << second.log();
    std::lock_guard lock(mutex);
    if (at.empty())
      return 0;
    return std::chrono::duration<double>(at.back() - at.front()).count();
  }
};

TEST_P(SharedPacing, TwoEnginesSendANumbersRateTogether) {
  // 5 sends a second for the number: after the first second's 5, one every 200 ms. 25 replies
  // take at least 20 / 5 = 4 s shared; two engines pacing alone would take about 2 s.
  double seconds = secondsToSend(
      25, {{"BARAZA_PIPELINE_PER_NUMBER_RATE", "5"}, {"BARAZA_PIPELINE_SENDERS", "4"}});
  std::cout << "25 replies at 5/s per number from two engines: " << seconds << " s\n";
  EXPECT_GE(seconds, 3.6) << "the number's rate was exceeded";
  EXPECT_LT(seconds, 9.0) << "the shared budget was not used";
}

// On SQLite both engines share the file, and each sees the other's liveness mark.
INSTANTIATE_TEST_SUITE_P(BothDialects, SharedPacing,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
