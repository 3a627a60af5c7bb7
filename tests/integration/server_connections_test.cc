// Clients that hold connections without finishing a request, tried as an attacker would, against
// the real `baraza serve` process.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

std::map<std::string, std::string> engineEnv(const TempDir& dir) {
  return {{"BARAZA_DATABASE_URL", "sqlite://" + dir.file("c.db")},
          {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")}};
}

const char* kWebhookHead =
    "POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "Content-Length: 1000\r\n\r\n";

TEST(ServerConnections, ClientsStalledMidHeadersOrMidBodyAreCutOffByTheirTimeouts) {
  TempDir dir;
  auto env = engineEnv(dir);
  env["BARAZA_SERVER_HEADER_TIMEOUT_MS"] = "400";
  env["BARAZA_SERVER_BODY_TIMEOUT_MS"] = "400";
  EngineProcess engine("", env);
  std::vector<std::unique_ptr<HttpConnection>> stalled;
  for (int i = 0; i < 20; ++i) {
    auto body = std::make_unique<HttpConnection>(engine.port());
    body->sendRaw(std::string(kWebhookHead) + "{\"object\":");
    stalled.push_back(std::move(body));
    auto head = std::make_unique<HttpConnection>(engine.port());
    head->sendRaw("POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\n");
    stalled.push_back(std::move(head));
  }
  // A client that keeps dripping bytes is cut off too: the timeout counts from the start.
  HttpConnection drip(engine.port());
  drip.sendRaw(kWebhookHead);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      drip.sendRaw(" ");
    } catch (const std::exception&) {
      break;  // already cut off
    }
  }
  EXPECT_TRUE(drip.waitClosed(3000)) << "a dripping body outlived its timeout";
  for (auto& conn : stalled) {
    auto r = conn->readResponse(3000);
    EXPECT_EQ(r.status, 408);
    EXPECT_TRUE(conn->waitClosed(3000)) << "a stalled connection was kept open";
  }
  EXPECT_EQ(httpRequest(engine.port(), "GET", "/health").status, 200);
}

TEST(ServerConnections, AnAddressOverItsCapIsClosedAtOnceAndCounted) {
  TempDir dir;
  auto env = engineEnv(dir);
  env["BARAZA_SERVER_CONNECTIONS_PER_ADDRESS"] = "4";
  EngineProcess engine("", env);
  std::vector<std::unique_ptr<HttpConnection>> held;
  // Each answered before the next opens: the server's reactor threads count connections in
  // the order they handle them, which need not be the order they were opened.
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<HttpConnection>(engine.port()));
    ASSERT_EQ(held.back()->roundTrip("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").status, 200);
  }
  for (int i = 0; i < 3; ++i) {
    HttpConnection extra(engine.port());
    try {  // sent at once, before the server refuses the connection: it must not run
      extra.sendRaw("GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: refused-" +
                    std::to_string(i) + "\r\n\r\n");
    } catch (const std::exception&) {
    }
    EXPECT_TRUE(extra.waitClosed(2000)) << "connection " << 5 + i << " was kept";
  }
  // The held ones still work, and a slot freed by closing one can be taken again.
  auto r = held[0]->roundTrip("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status, 200);
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  HttpConnection fresh(engine.port());
  auto metrics = fresh.roundTrip("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("baraza_http_connections_refused_total 3\n"), std::string::npos)
      << metrics.body;
  EXPECT_NE(engine.log().find("127.0.0.1 holds more than 4 connections"), std::string::npos)
      << engine.log();
  EXPECT_EQ(engine.log().find("refused-"), std::string::npos)
      << "a refused connection's request ran\n"
      << engine.log();
}

}  // namespace
}  // namespace baraza::test
