// The real `baraza serve` process over real HTTP.
#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

class Server : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("config.yaml", "database:\n  url: \"sqlite://" + dir_.file("data/b.db") +
                                            "\"\nserver:\n  max_body_bytes: 1024\n"
                                            "  shutdown_timeout_ms: 5000\n"
                                            "channels:\n  loopback:\n    max_delay_ms: 5000\n");
    engine_ = std::make_unique<EngineProcess>(config_);
  }
  int port() const { return engine_->port(); }

  TempDir dir_;
  std::string config_;
  std::unique_ptr<EngineProcess> engine_;
};

TEST_F(Server, HealthReportsStatusDatabaseAndVersion) {
  auto r = httpRequest(port(), "GET", "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["database"], "ok");
  EXPECT_EQ(j["version"], BARAZA_VERSION);
}

TEST_F(Server, UnknownRouteIsA404JsonError) {
  auto r = httpRequest(port(), "GET", "/no/such/thing");
  EXPECT_EQ(r.status, 404);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"], "not_found");
  EXPECT_EQ(j["details"], "no route for GET /no/such/thing");
}

TEST_F(Server, WrongMethodIsA405WithAllow) {
  auto r = httpRequest(port(), "POST", "/health", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["allow"], "GET");
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "method_not_allowed");
}

TEST_F(Server, EveryResponseCarriesARequestId) {
  auto generated = httpRequest(port(), "GET", "/health");
  ASSERT_EQ(generated.headers["x-request-id"].size(), 16u);
  auto again = httpRequest(port(), "GET", "/health");
  EXPECT_NE(again.headers["x-request-id"], generated.headers["x-request-id"]);
  auto echoed = httpRequest(port(), "GET", "/nope", "", {{"X-Request-Id", "trace-abc.123"}});
  EXPECT_EQ(echoed.headers["x-request-id"], "trace-abc.123");
  auto unsafe = httpRequest(port(), "GET", "/health", "", {{"X-Request-Id", "bad id\"<>"}});
  EXPECT_EQ(unsafe.headers["x-request-id"].size(), 16u) << "an unsafe id is replaced";
}

TEST_F(Server, BodyOverTheLimitIsA413JsonErrorAndTheConnectionSurvives) {
  HttpConnection conn(port());
  std::string big(1025, 'x');
  auto r = conn.roundTrip("POST /channels/loopback/echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                          std::to_string(big.size()) + "\r\n\r\n" + big);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "body_too_large");
  std::string ok(1024, 'y');
  auto r2 = conn.roundTrip("POST /channels/loopback/echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                           std::to_string(ok.size()) + "\r\n\r\n" + ok);
  EXPECT_EQ(r2.status, 200);
  EXPECT_EQ(r2.body, ok);
}

TEST_F(Server, Http11WithoutConnectionHeaderIsKeptAlive) {
  // Pistache 0.0.5 would answer "Connection: Close" here; the engine must not.
  HttpConnection conn(port());
  for (int i = 0; i < 3; ++i) {
    auto r = conn.roundTrip("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.headers["connection"], "Close");
    EXPECT_FALSE(r.closed);
  }
  EXPECT_FALSE(conn.waitClosed(300)) << "the server closed a keep-alive connection";
}

TEST_F(Server, ExplicitCloseAndHttp10AreHonoured) {
  HttpConnection conn(port());
  auto r = conn.roundTrip("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.headers["connection"], "Close");
  EXPECT_TRUE(conn.waitClosed(3000)) << "the server kept a connection the client closed";
  HttpConnection old(port());
  auto r10 = old.roundTrip("GET /health HTTP/1.0\r\n\r\n");
  EXPECT_EQ(r10.status, 200);
  EXPECT_EQ(r10.headers["connection"], "Close");
  EXPECT_TRUE(old.waitClosed(3000)) << "an HTTP/1.0 connection was kept open";
}

TEST_F(Server, MetricsCountRequestsByRouteAndStatus) {
  httpRequest(port(), "GET", "/health");
  httpRequest(port(), "GET", "/nowhere/1");
  httpRequest(port(), "GET", "/nowhere/2");
  auto r = httpRequest(port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["content-type"].rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find(
                "baraza_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n"),
            std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find(
          "baraza_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 2\n"),
      std::string::npos)
      << r.body;
  EXPECT_NE(
      r.body.find("baraza_http_request_duration_seconds_bucket{route=\"/health\",le=\"+Inf\"} 1"),
      std::string::npos);
  EXPECT_NE(r.body.find("baraza_database_up 1"), std::string::npos);
}

// /metrics labels name tenants: with server.metrics_token it is only for the scraper holding it.
TEST(ServerMetricsToken, MetricsNeedTheTokenWhenOneIsSet) {
  TempDir dir;
  const std::string token = "scrape-token-7781";
  EngineProcess engine("", {{"BARAZA_DATABASE_URL", "sqlite://" + dir.file("m.db")},
                            {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")},
                            {"BARAZA_SERVER_METRICS_TOKEN", token}});
  auto bare = httpRequest(engine.port(), "GET", "/metrics");
  EXPECT_EQ(bare.status, 401);
  EXPECT_EQ(nlohmann::json::parse(bare.body)["error"], "unauthorized");
  EXPECT_EQ(bare.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(httpRequest(engine.port(), "GET", "/metrics", "",
                        {{"Authorization", "Bearer scrape-token-7780"}})
                .status,
            401);
  auto scraped =
      httpRequest(engine.port(), "GET", "/metrics", "", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.body.find("baraza_http_requests_total"), std::string::npos);
  EXPECT_EQ(httpRequest(engine.port(), "GET", "/health").status, 200) << "health stays open";
  EXPECT_EQ(engine.log().find(token), std::string::npos) << "the token reached the log";
}

TEST_F(Server, AccessLogHasOneLinePerRequestWithItsId) {
  auto r = httpRequest(port(), "GET", "/health", "", {{"X-Request-Id", "access-log-check"}});
  ASSERT_EQ(r.status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_NE(engine_->log().find("http access-log-check GET /health 200"), std::string::npos)
      << engine_->log();
}

TEST_F(Server, LoopbackChannelRoutesThroughTheHost) {
  auto r = httpRequest(port(), "POST", "/channels/loopback/messages", R"({"text":"hi"})");
  EXPECT_EQ(r.status, 202);
  auto bad = httpRequest(port(), "POST", "/channels/loopback/messages", "nope");
  EXPECT_EQ(bad.status, 400);
  auto m = httpRequest(port(), "GET", "/metrics");
  EXPECT_NE(m.body.find("baraza_inbound_events_total{channel=\"loopback\",result=\"accepted\"} 1"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("baraza_loopback_rejected_total{reason=\"json\"} 1"), std::string::npos);
}

TEST_F(Server, PluginsSeeEveryRequestHeader) {
  auto r = httpRequest(port(), "GET", "/channels/loopback/headers", "",
                       {{"X-Custom", "abc"}, {"Authorization", "Bearer t"}, {"User-Agent", "t/1"}});
  ASSERT_EQ(r.status, 200);
  auto h = nlohmann::json::parse(r.body);
  EXPECT_EQ(h["x-custom"], "abc");
  EXPECT_EQ(h["host"], "127.0.0.1");
  EXPECT_EQ(h["user-agent"], "t/1");
  EXPECT_TRUE(h.contains("authorization"));
}

TEST_F(Server, SigtermFinishesInFlightWorkRefusesNewAndExitsZero) {
  auto slow = std::async(std::launch::async, [&] {
    return httpRequest(port(), "POST", "/channels/loopback/echo?delay_ms=1500", "still here");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  HttpConnection late(port());  // connected before the signal
  ASSERT_EQ(kill(engine_->pid(), SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto refused = late.roundTrip("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.headers["connection"], "Close");
  EXPECT_EQ(nlohmann::json::parse(refused.body)["error"], "shutting_down");
  auto r = slow.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "still here");
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(engine_->stop(0, 10000), 0);  // signal 0: only wait for the exit
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_NE(engine_->log().find("received SIGTERM"), std::string::npos);
}

TEST_F(Server, SigintAlsoStopsCleanly) {
  EXPECT_EQ(engine_->stop(SIGINT), 0);
}

TEST(ServerShutdown, WorkLongerThanTheBoundIsCutOffAndStillExitsZero) {
  TempDir dir;
  auto config = dir.write("c.yaml", "database:\n  url: \"sqlite://" + dir.file("b.db") +
                                        "\"\nserver:\n  shutdown_timeout_ms: 300\n"
                                        "channels:\n  loopback:\n    max_delay_ms: 5000\n");
  EngineProcess engine(config);
  auto slow = std::async(std::launch::async, [&] {
    try {
      return httpRequest(engine.port(), "POST", "/channels/loopback/echo?delay_ms=4000", "x")
          .status;
    } catch (const std::exception&) {
      return -1;  // the connection was cut, as expected
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(engine.stop(SIGTERM, 10000), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(3500))
      << "shutdown waited past its bound";
  slow.wait();
}

}  // namespace
}  // namespace baraza::test
