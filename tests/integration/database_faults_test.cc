// Faults of the database under the real engine (issue 17's fault-injection suite): a PostgreSQL
// connection black-holed through a proxy the test controls.
#include <future>

#include "pipeline_fixture.h"
#include "support/tcp_proxy.h"

namespace baraza::test {
namespace {

using Clock = std::chrono::steady_clock;

long long msSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class DatabaseFaults : public Pipeline {};

// The engine's URL with its port replaced by `port`, and libpq's connect timeout shortened.
std::string throughPort(const std::string& url, int port) {
  size_t colon = url.rfind(':'), slash = url.find('/', colon);
  return url.substr(0, colon + 1) + std::to_string(port) + url.substr(slash) + "?connect_timeout=2";
}

TEST_P(DatabaseFaults, ABlackHoledConnectionHangsNoThreadAndHealthTurns503) {
  size_t port_at = target_->url().rfind(':') + 1;
  TcpProxy proxy(std::stoi(target_->url().substr(port_at)));
  env_["BARAZA_DATABASE_URL"] = throughPort(target_->url(), proxy.port());
  start({{"BARAZA_DATABASE_TRANSACTION_TIMEOUT_MS", "1500"},
         {"BARAZA_PIPELINE_STORE_TIMEOUT_MS", "1000"}});
  ASSERT_EQ(post(textWebhook({{"wamid.BH-0", "before"}})).status, 200);
  ASSERT_TRUE(eventually([&] { return messageSends() == 1; })) << engine_->log();

  proxy.blackHole(true);
  auto hole_began = Clock::now();
  // More webhooks at once than the server has threads: none may wait past its timeouts.
  std::vector<std::future<std::pair<int, long long>>> during;
  for (int i = 0; i < 4; ++i) {
    during.push_back(std::async(std::launch::async, [&, i] {
      auto started = Clock::now();
      int status = post(textWebhook({{"wamid.BH-" + std::to_string(i + 1), "during"}})).status;
      return std::make_pair(status, msSince(started));
    }));
  }
  for (auto& f : during) {
    auto [status, ms] = f.get();
    EXPECT_EQ(status, 503) << "never a 200 for what was not stored";
    EXPECT_LT(ms, 12000) << "a webhook waited on the black hole";
  }
  auto checked = Clock::now();
  auto health = httpRequest(engine_->port(), "GET", "/health");
  EXPECT_EQ(health.status, 503) << health.body;
  // At most the transaction timeout, its margin (2 s) and a reconnect's connect_timeout (2 s).
  EXPECT_LT(msSince(checked), 12000) << "the health check waited on the black hole";
  EXPECT_NE(engine_->log().find("connections were cut"), std::string::npos) << engine_->log();

  proxy.blackHole(false);
  auto hole_ended = Clock::now();
  // Meta delivers each refused webhook again until it gets a 200.
  for (int i = 0; i < 4; ++i) {
    std::string body = textWebhook({{"wamid.BH-" + std::to_string(i + 1), "during"}});
    ASSERT_EQ(postUntilAccepted(body, 200), 200) << engine_->log();
  }
  ASSERT_TRUE(eventually([&] { return messageSends() == 5; })) << engine_->log();
  std::printf(
      "black hole: %lld ms in the hole, recovered %lld ms after it ended\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(hole_ended - hole_began).count()),
      msSince(hole_ended));
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'inbound'"), 5);
  EXPECT_EQ(httpRequest(engine_->port(), "GET", "/health").status, 200);
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics").body;
  EXPECT_EQ(metrics.find("baraza_database_connections_cut_total 0"), std::string::npos);
  EXPECT_NE(metrics.find("baraza_database_connections_cut_total"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("baraza_inbox_store_timeouts_total"), std::string::npos) << metrics;
}

INSTANTIATE_TEST_SUITE_P(PostgresqlOnly, DatabaseFaults, ::testing::Values(Dialect::kPostgresql),
                         [](const auto&) { return std::string("postgresql"); });

}  // namespace
}  // namespace baraza::test
