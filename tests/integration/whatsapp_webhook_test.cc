// Meta's side of the conversation against the real engine process, over real HTTP.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "storage/database.h"
#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/meta_signature.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

std::string readFixture(const std::string& name) {
  std::ifstream in(sourceDir() + "/tests/fixtures/whatsapp/own/" + name + ".json");
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

// The app secret is "key" (from a file), so signatures can be pinned to a published HMAC vector
// instead of being computed by the code under test; other bodies are signed by
// support/meta_signature (OpenSSL).
class WhatsAppWebhook : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ =
        dir_.write("c.yaml", "database:\n  url: \"sqlite://" + dir_.file("b.db") +
                                 "\"\nserver:\n  max_body_bytes: 4096\nchannels:\n  whatsapp:\n"
                                 "    verify_token_env: TEST_VERIFY_TOKEN\n    apps:\n"
                                 "      - name: default\n        app_secret_file: " +
                                 dir_.write("secret", "key\n") + "\n      - name: partner\n" +
                                 "        app_secret: partner-secret-5150\n");
    engine_ = std::make_unique<EngineProcess>(
        config_, std::map<std::string, std::string>{{"TEST_VERIFY_TOKEN", "tok-123456"}});
  }
  TempDir dir_;
  std::string config_;
  std::unique_ptr<EngineProcess> engine_;
};

TEST_F(WhatsAppWebhook, HandshakeOverHttp) {
  auto ok = httpRequest(engine_->port(), "GET",
                        "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=tok-123456&hub."
                        "challenge=987654321");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "987654321");
  EXPECT_EQ(ok.headers["content-type"].rfind("text/plain", 0), 0u);
  auto bad = httpRequest(engine_->port(), "GET",
                         "/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1");
  EXPECT_EQ(bad.status, 403);
  EXPECT_EQ(nlohmann::json::parse(bad.body)["error"], "verification_failed");
}

TEST_F(WhatsAppWebhook, SignedPostIsAcceptedAndForgedOneRefused) {
  // HMAC-SHA256 with key "key": pinned, computed independently of the engine.
  const std::string body = "The quick brown fox jumps over the lazy dog";
  const std::string sig = "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8";
  auto wrong_object = httpRequest(engine_->port(), "POST", "/webhook/whatsapp", body,
                                  {{"X-Hub-Signature-256", sig}});
  EXPECT_EQ(wrong_object.status, 400) << "a good signature over bytes that are not JSON";
  auto forged = httpRequest(engine_->port(), "POST", "/webhook/whatsapp", readFixture("batch"),
                            {{"X-Hub-Signature-256", sig}});
  EXPECT_EQ(forged.status, 401);
  auto unsigned_post = httpRequest(engine_->port(), "POST", "/webhook", readFixture("batch"));
  EXPECT_EQ(unsigned_post.status, 401);
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("baraza_whatsapp_webhooks_total{result=\"bad_signature\"} 2"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("baraza_inbound_events_total"), std::string::npos)
      << "nothing reached the engine";
}

TEST_F(WhatsAppWebhook, AProperlySignedBatchIsAcceptedWithEveryEvent) {
  std::string body = readFixture("batch");
  auto r = httpRequest(
      engine_->port(), "POST", "/webhook/whatsapp", body,
      {{"X-Hub-Signature-256", metaSignature("key", body)}, {"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["received"], 4);
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("baraza_inbound_events_total{channel=\"whatsapp\",result=\"accepted\"} 4"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("baraza_whatsapp_events_total{kind=\"message\"} 3"), std::string::npos);
  EXPECT_NE(metrics.find("baraza_whatsapp_events_total{kind=\"status\"} 1"), std::string::npos);
}

TEST(WhatsAppTenantTokens, ATenantChannelsOwnVerifyTokenPassesTheHandshake) {
  TempDir dir;
  std::map<std::string, std::string> env = {
      {"BARAZA_DATABASE_URL", "sqlite://" + dir.file("t.db")},
      {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")}};
  auto sleeping = dir.write("sleeping.yaml",
                            "slug: sleeping\nname: Sleeping\nactive: false\nchannels:\n"
                            "  - phone_number_id: \"777\"\n    access_token: t-777777\n"
                            "    verify_token: sleeping-verify\n");
  auto r = runBaraza(
      {"tenant", "import", sourceDir() + "/examples/tenants/kassangas.yaml", sleeping}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EngineProcess engine("", env);
  auto handshake = [&](const std::string& token) {
    return httpRequest(
        engine.port(), "GET",
        "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=" + token + "&hub.challenge=4242");
  };
  auto ok = handshake("kassangas-verify");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "4242");
  EXPECT_EQ(handshake("kassangas-verif").status, 403);
  EXPECT_EQ(handshake("sleeping-verify").status, 403) << "an inactive tenant's token";
  EXPECT_EQ(handshake("").status, 403);
  // The credential read that let Meta in is in the audit log; the refused attempts wrote nothing.
  Database db("sqlite://" + dir.file("t.db"), 1, std::chrono::milliseconds(2000));
  TenantScope scope(db, TenantScope::kAllTenants);
  long long used = 0;
  scope.sql() << "SELECT COUNT(*) FROM audit_log WHERE action = 'use_credential' AND actor = "
                 "'engine:webhook-handshake' AND entity = 'channel_account'",
      soci::into(used);
  EXPECT_EQ(used, 1);
}

// Guessing verify tokens costs a database read each: one address gets a handful a minute, then
// 429 with Retry-After, counted; signed POSTs (Meta's deliveries) are not limited.
TEST(WhatsAppHandshakeLimit, OneAddressGetsAFewGuessesAMinute) {
  TempDir dir;
  EngineProcess engine("", {{"BARAZA_DATABASE_URL", "sqlite://" + dir.file("t.db")},
                            {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")},
                            {"BARAZA_SERVER_CHANNEL_GET_PER_MINUTE", "3"}});
  std::vector<int> statuses;
  RawResponse last;
  for (int i = 0; i < 6; ++i) {
    last = httpRequest(engine.port(), "GET",
                       "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=guess-" +
                           std::to_string(i) + "&hub.challenge=1");
    statuses.push_back(last.status);
  }
  EXPECT_EQ(std::vector<int>(statuses.begin(), statuses.begin() + 3), std::vector<int>(3, 403));
  EXPECT_EQ(statuses.back(), 429);
  EXPECT_EQ(nlohmann::json::parse(last.body)["error"], "rate_limited");
  ASSERT_TRUE(last.headers.count("retry-after"));
  int retry_after = std::stoi(last.headers["retry-after"]);
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 20);
  auto post = httpRequest(engine.port(), "POST", "/webhook/whatsapp", "{}",
                          {{"X-Hub-Signature-256", "sha256=00"}});
  EXPECT_NE(post.status, 429) << "deliveries are not limited";
  auto metrics = httpRequest(engine.port(), "GET", "/metrics").body;
  EXPECT_NE(
      metrics.find("baraza_http_rate_limited_total{channel=\"whatsapp\",route=\"channel_get\"}"),
      std::string::npos)
      << metrics;
}

TEST_F(WhatsAppWebhook, BodyOverTheLimitIs413BeforeAnyCheck) {
  auto r = httpRequest(engine_->port(), "POST", "/webhook/whatsapp", std::string(5000, '{'),
                       {{"X-Hub-Signature-256", "sha256=00"}});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "body_too_large");
}

TEST_F(WhatsAppWebhook, SecretsNeverReachTheLogOrTheAnswers) {
  std::vector<std::string> answers;
  answers.push_back(
      httpRequest(
          engine_->port(), "GET",
          "/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=tok-123456&hub.challenge=1")
          .body);
  answers.push_back(
      httpRequest(engine_->port(), "GET",
                  "/webhook?hub.mode=subscribe&hub.verify_token=tok-12345&hub.challenge=1")
          .body);
  std::string body = readFixture("video");
  answers.push_back(
      httpRequest(engine_->port(), "POST", "/webhook/whatsapp/partner", body,
                  {{"X-Hub-Signature-256", metaSignature("partner-secret-5150", body)}})
          .body);
  answers.push_back(httpRequest(engine_->port(), "POST", "/webhook/whatsapp/partner", body,
                                {{"X-Hub-Signature-256", metaSignature("wrong", body)}})
                        .body);
  answers.push_back(httpRequest(engine_->port(), "GET", "/metrics").body);
  auto check = runBaraza(
      {"check-config", "--config", config_},
      {{"TEST_VERIFY_TOKEN", "tok-123456"}, {"BARAZA_PLUGINS_DIR", binaryDir() + "/plugins"}});
  ASSERT_EQ(check.exit_code, 0) << check.err;
  answers.push_back(check.out + check.err);
  answers.push_back(engine_->log());
  for (const auto& text : answers) {
    EXPECT_EQ(text.find("tok-123456"), std::string::npos) << text;
    EXPECT_EQ(text.find("partner-secret-5150"), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace baraza::test
