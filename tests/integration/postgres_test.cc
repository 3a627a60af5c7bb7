// The engine on a real PostgreSQL server (the throwaway one tools/test.sh starts).
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <thread>

#include "storage/migrator.h"
#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

TEST(Postgres, ServeMigratesAndReportsHealthy) {
  PostgresDatabase db;
  EngineProcess engine("", {{"BARAZA_DATABASE_URL", db.url()}});
  auto r = httpRequest(engine.port(), "GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["database"], "ok");
  auto status = runBaraza({"migrate", "--status"}, {{"BARAZA_DATABASE_URL", db.url()}});
  EXPECT_NE(status.out.find("0001  core_schema"), std::string::npos);
  EXPECT_EQ(status.out.find("pending"), std::string::npos) << status.out;
  EXPECT_EQ(engine.stop(SIGTERM), 0);
}

TEST(Postgres, HealthIs503WhileTheDatabaseIsUnreachableAndRecovers) {
  PostgresDatabase db;
  EngineProcess engine("", {{"BARAZA_DATABASE_URL", db.url()}});
  ASSERT_EQ(httpRequest(engine.port(), "GET", "/health").status, 200);

  // Cut the engine off: refuse new connections to its database and end the open ones.
  PostgresDatabase::adminExec("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS false");
  PostgresDatabase::adminExec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db.name() + "'");
  auto down = httpRequest(engine.port(), "GET", "/health");
  EXPECT_EQ(down.status, 503);
  auto body = nlohmann::json::parse(down.body);
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_EQ(body["database"], "unreachable");
  httpRequest(engine.port(), "GET", "/health");
  auto metrics = httpRequest(engine.port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("baraza_database_up 0"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("baraza_database_check_failures_total 2"), std::string::npos) << metrics;

  PostgresDatabase::adminExec("ALTER DATABASE " + db.name() + " ALLOW_CONNECTIONS true");
  auto up = httpRequest(engine.port(), "GET", "/health");
  EXPECT_EQ(up.status, 200) << "the engine did not reconnect";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string log = engine.log();
  size_t first = log.find("does not answer");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("does not answer", first + 1), std::string::npos)
      << "logged more than once for one incident";
  EXPECT_NE(log.find("answers again"), std::string::npos);
  EXPECT_EQ(engine.stop(SIGTERM), 0);
}

TEST(Postgres, TwoEnginesStartingTogetherMigrateOnce) {
  PostgresDatabase db;
  std::vector<CommandResult> results(2);
  std::thread a([&] { results[0] = runBaraza({"migrate"}, {{"BARAZA_DATABASE_URL", db.url()}}); });
  std::thread b([&] { results[1] = runBaraza({"migrate"}, {{"BARAZA_DATABASE_URL", db.url()}}); });
  a.join();
  b.join();
  ASSERT_EQ(results[0].exit_code, 0) << results[0].err;
  ASSERT_EQ(results[1].exit_code, 0) << results[1].err;
  std::string both = results[0].out + results[1].out;
  std::string all = std::to_string(embeddedMigrations(Dialect::kPostgresql).size());
  EXPECT_NE(both.find(all + " migration(s) applied"), std::string::npos) << both;
  EXPECT_NE(both.find("0 migration(s) applied"), std::string::npos) << both;
}

}  // namespace
}  // namespace baraza::test
