// The built plugin (build/plugins/whatsapp.so) through the engine's plugin host.
#include <gtest/gtest.h>

#include "core/metrics.h"
#include "fixtures.h"
#include "plugin_host/plugin_host.h"
#include "signature.h"

namespace baraza::whatsapp {
namespace {

using nlohmann::json;

const std::string kDefaultSecret = "default-app-secret-1";
const std::string kShopSecret = "shop-app-secret-2";

struct Reply {
  int status;
  std::string content_type;
  std::string body;
};

class WhatsAppPlugin : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = std::make_unique<PluginHost>(PluginHost::Services{
        [this](const std::string& channel, std::string_view e, size_t& events) {
          EXPECT_EQ(channel, "whatsapp");
          json batch = json::parse(e);
          EXPECT_TRUE(batch.is_array()) << "an ABI 1.3 host gets each POST's events in one call";
          ++calls_;
          events = batch.size();
          for (const auto& event : batch)
            events_.push_back(event);
          return refuse_ ? 1 : 0;
        }});
    plugin_ = &host_->load(baraza::test::binaryDir() + "/plugins/whatsapp.so");
    host_->createAll(loadEngineConfig(dir_.write(
        "c.yaml",
        "channels:\n  whatsapp:\n    verify_token: verify-me-123\n    apps:\n"
        "      - name: default\n        app_secret: " +
            kDefaultSecret + "\n      - name: shop\n        app_secret: " + kShopSecret + "\n")));
  }

  Reply call(const std::string& method, const std::string& path, const std::string& query,
             const std::string& body, const char* signature) {
    baraza_http_reply reply;
    std::vector<const char*> names, values;
    if (signature) {
      names.push_back("x-hub-signature-256");
      values.push_back(signature);
    }
    baraza_http_request req{};
    req.method = method.c_str();
    req.path = path.c_str();
    req.query = query.c_str();
    req.body = body.data();
    req.body_len = body.size();
    req.request_id = "t";
    req.header_names = names.data();
    req.header_values = values.data();
    req.header_count = names.size();
    req.reply_host_ptr = &reply;
    plugin_->channel->on_http(plugin_->instance, &req);
    return {reply.status, reply.content_type, reply.body};
  }

  Reply post(const std::string& path, const std::string& body, const std::string& secret) {
    std::string sig = signatureHeader(secret, body);
    return call("POST", path, "", body, sig.c_str());
  }

  baraza::test::TempDir dir_;
  std::unique_ptr<PluginHost> host_;
  const LoadedPlugin* plugin_ = nullptr;
  std::vector<json> events_;
  int calls_ = 0;
  bool refuse_ = false;
};

TEST_F(WhatsAppPlugin, HandshakeEchoesTheChallengeOnlyForTheRightToken) {
  auto ok = call("GET", "/webhook/whatsapp",
                 "hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge=1158201444", "",
                 nullptr);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.content_type, "text/plain");
  EXPECT_EQ(ok.body, "1158201444");
  EXPECT_EQ(call("GET", "/webhook",
                 "hub.mode=subscribe&hub.verify_token=verify-me-123&hub.challenge=7", "", nullptr)
                .body,
            "7");
  for (const std::string query :
       {"hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=verify-me-123&hub.challenge=1",
        "hub.mode=subscribe&hub.challenge=1", "",
        "hub.mode=subscribe&hub.verify_token=verify-me-123"}) {
    auto r = call("GET", "/webhook/whatsapp", query, "", nullptr);
    EXPECT_EQ(r.status, 403) << query;
    EXPECT_EQ(json::parse(r.body)["error"], "verification_failed");
  }
  auto encoded = call("GET", "/webhook/whatsapp",
                      "hub.mode=subscribe&hub.verify_token=verify%2Dme%2D123&hub.challenge=ab%20c",
                      "", nullptr);
  EXPECT_EQ(encoded.body, "ab c") << "query values are percent-decoded";
}

TEST_F(WhatsAppPlugin, SignedPayloadHandsEveryEventToTheEngine) {
  auto r = post("/webhook/whatsapp", test::ownFixture("batch"), kDefaultSecret);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["received"], 4);
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(calls_, 1) << "one POST, one transaction";
  EXPECT_EQ(events_[0]["app"], "default");
  EXPECT_EQ(events_[3]["account"]["phone_number_id"], "119200000000002");
  EXPECT_EQ(post("/webhook", test::ownFixture("statuses"), kDefaultSecret).status, 200);
  EXPECT_EQ(events_.size(), 9u);
}

TEST_F(WhatsAppPlugin, EachAppChecksItsOwnSecret) {
  std::string body = test::ownFixture("video");
  EXPECT_EQ(post("/webhook/whatsapp/shop", body, kShopSecret).status, 200);
  EXPECT_EQ(events_.back()["app"], "shop");
  EXPECT_EQ(post("/webhook/whatsapp/shop", body, kDefaultSecret).status, 401);
  EXPECT_EQ(post("/webhook/whatsapp", body, kShopSecret).status, 401);
  EXPECT_EQ(post("/webhook/whatsapp/shop/", body, kShopSecret).status, 200);
  EXPECT_EQ(post("/webhook/whatsapp/", body, kDefaultSecret).status, 200) << "the default app";
  auto unknown = post("/webhook/whatsapp/nobody", body, kShopSecret);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["error"], "unknown_app");
  EXPECT_EQ(events_.size(), 3u);
}

TEST_F(WhatsAppPlugin, ForgedOrMissingSignaturesStoreNothing) {
  std::string body = test::ownFixture("batch");
  std::string good = signatureHeader(kDefaultSecret, body);
  Labels mismatch = {{"reason", "mismatch"}};
  double before =
      MetricsRegistry::global().value("baraza_whatsapp_signature_failures_total", mismatch);
  for (const std::string& sig : {std::string("sha1=") + good.substr(7, 40), good.substr(0, 40),
                                 std::string("sha256=") + std::string(64, '0'), good + "0"}) {
    auto r = call("POST", "/webhook/whatsapp", "", body, sig.c_str());
    EXPECT_EQ(r.status, 401) << sig;
    EXPECT_EQ(json::parse(r.body)["error"], "bad_signature");
  }
  EXPECT_EQ(call("POST", "/webhook/whatsapp", "", body, nullptr).status, 401);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(MetricsRegistry::global().value("baraza_whatsapp_signature_failures_total", mismatch),
            before + 1);
}

TEST_F(WhatsAppPlugin, InvalidJsonWithAGoodSignatureIs400AndCounted) {
  Labels invalid = {{"result", "invalid_json"}};
  double before = MetricsRegistry::global().value("baraza_whatsapp_webhooks_total", invalid);
  auto r = post("/webhook/whatsapp", "{\"object\":", kDefaultSecret);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], "invalid_payload");
  EXPECT_EQ(MetricsRegistry::global().value("baraza_whatsapp_webhooks_total", invalid), before + 1);
}

TEST_F(WhatsAppPlugin, UnknownObjectsAndFieldsAre200IgnoredAndCounted) {
  EXPECT_EQ(
      post("/webhook/whatsapp", R"({"object":"instagram","entry":[]})", kDefaultSecret).status,
      200);
  auto group = test::metaExample("webhooks", "Group Create Message").dump();
  Labels field = {{"field", "group_lifecycle_update"}};
  double before = MetricsRegistry::global().value("baraza_whatsapp_ignored_changes_total", field);
  EXPECT_EQ(post("/webhook/whatsapp", group, kDefaultSecret).status, 200);
  EXPECT_EQ(MetricsRegistry::global().value("baraza_whatsapp_ignored_changes_total", field),
            before + 1);
  json odd = json::parse(group);
  odd["entry"][0]["changes"][0]["field"] = "made_up_field_<script>";
  post("/webhook/whatsapp", odd.dump(), kDefaultSecret);
  EXPECT_EQ(MetricsRegistry::global().value("baraza_whatsapp_ignored_changes_total",
                                            {{"field", "made_up_field_<script>"}}),
            0)
      << "untrusted field names never become labels";
  EXPECT_TRUE(events_.empty());
}

TEST_F(WhatsAppPlugin, ARefusedEventMakesMetaRetry) {
  refuse_ = true;
  auto r = post("/webhook/whatsapp", test::ownFixture("batch"), kDefaultSecret);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(json::parse(r.body)["error"], "not_stored");
}

TEST_F(WhatsAppPlugin, OtherMethodsAre405) {
  EXPECT_EQ(call("DELETE", "/webhook/whatsapp", "", "", nullptr).status, 405);
}

TEST(WhatsAppPluginConfig, RepeatedAppNamesOrMissingSecretsStopTheStart) {
  baraza::test::TempDir dir;
  auto start = [&](const std::string& yaml) {
    PluginHost host;
    host.load(baraza::test::binaryDir() + "/plugins/whatsapp.so");
    host.createAll(loadEngineConfig(dir.write("c.yaml", yaml)));
  };
  EXPECT_THROW(start("channels:\n  whatsapp:\n    apps:\n      - {name: a, app_secret: x1}\n"
                     "      - {name: a, app_secret: x2}\n"),
               PluginError);
  unsetenv("NO_SUCH_SECRET_VAR");
  EXPECT_THROW(start("channels:\n  whatsapp:\n    apps:\n      - {name: a, app_secret_env: "
                     "NO_SUCH_SECRET_VAR}\n"),
               PluginError);
  EXPECT_NO_THROW(start("")) << "no app at all starts, and refuses every POST";
}

}  // namespace
}  // namespace baraza::whatsapp
