#include "plugin_host/plugin_host.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/metrics.h"
#include "plugin_host/account_verifier.h"
#include "support/test_env.h"

namespace baraza {
namespace {

std::string testPlugin(const std::string& name) {
  return test::testPluginDir() + "/" + name + ".so";
}
std::string loopbackPlugin() {
  return test::binaryDir() + "/plugins/loopback.so";
}

std::string loadError(PluginHost& host, const std::string& file) {
  try {
    host.load(file);
  } catch (const PluginError& e) {
    return e.what();
  }
  return "";
}

EngineConfig configFrom(const std::string& yaml) {
  static test::TempDir dir;
  return loadEngineConfig(dir.write("config.yaml", yaml));
}

// Each failure mode is its own tiny .so (tests/plugins/test_plugin.c).
TEST(PluginHost, CounterAddCannotCorruptAnotherMetricType) {
  PluginHost host;
  const LoadedPlugin& p = host.load(testPlugin("good_plugin"));
  MetricsRegistry::global().histogramObserve("baraza_test_latency", {}, 0.1, {1.0});
  p.api->counter_add(p.api->host_host_ptr, "baraza_test_latency", nullptr, 1);
  p.api->counter_add(p.api->host_host_ptr, "baraza_test_plugin_total", nullptr, -1);
  p.api->counter_add(p.api->host_host_ptr, "9 bad name", nullptr, 1);
  std::string text = MetricsRegistry::global().renderPrometheus();
  EXPECT_NE(text.find("baraza_test_latency_count 1\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("baraza_test_plugin_total"), std::string::npos);
  EXPECT_EQ(text.find("9 bad name"), std::string::npos);
}

TEST(PluginHost, RefusesAMissingEntrySymbol) {
  PluginHost host;
  std::string file = testPlugin("missing_symbol");
  EXPECT_EQ(loadError(host, file), file + ": missing entry symbol baraza_plugin_entry");
  EXPECT_TRUE(host.plugins().empty());
}

TEST(PluginHost, RefusesANullDescriptor) {
  PluginHost host;
  std::string file = testPlugin("null_descriptor");
  EXPECT_EQ(loadError(host, file), file + ": entry symbol returned no descriptor");
}

TEST(PluginHost, RefusesAnAbiMajorMismatchNamingBothVersions) {
  PluginHost host;
  std::string file = testPlugin("abi_major_mismatch");
  std::string theirs = std::to_string(BARAZA_PLUGIN_ABI_MAJOR + 1);
  std::string minor = std::to_string(BARAZA_PLUGIN_ABI_MINOR);
  EXPECT_EQ(loadError(host, file), file + ": ABI major " + theirs + " (" + theirs + "." + minor +
                                       "), but this engine speaks ABI " +
                                       std::to_string(BARAZA_PLUGIN_ABI_MAJOR) + "." + minor);
}

TEST(PluginHost, AChannelBuiltForAbi10StillLoadsWithoutTheNewerHooks) {
  PluginHost host;
  const LoadedPlugin& p = host.load(testPlugin("channel_abi_1_0"));
  EXPECT_EQ(p.kind, BARAZA_PLUGIN_KIND_CHANNEL);
  EXPECT_EQ(p.fetchMediaHook(), nullptr);
  EXPECT_EQ(p.verifyAccountHook(), nullptr);
}

TEST(PluginHost, RefusesAShortDescriptor) {
  PluginHost host;
  std::string error = loadError(host, testPlugin("short_descriptor"));
  EXPECT_NE(error.find("descriptor is 16 bytes, ABI 1 needs at least"), std::string::npos) << error;
}

TEST(PluginHost, RefusesABadName) {
  PluginHost host;
  std::string error = loadError(host, testPlugin("bad_name"));
  EXPECT_NE(error.find("plugin name 'Bad Name!' must be"), std::string::npos) << error;
}

TEST(PluginHost, RefusesADuplicateName) {
  PluginHost host;
  host.load(testPlugin("good_plugin"));
  std::string file = testPlugin("good_plugin_copy");
  EXPECT_EQ(loadError(host, file), file + ": duplicate plugin name 'good', already loaded from " +
                                       testPlugin("good_plugin"));
  EXPECT_EQ(host.plugins().size(), 1u);
}

TEST(PluginHost, RefusesAFileThatIsNoSharedObject) {
  test::TempDir dir;
  std::string file = dir.write("junk.so", "not an ELF file");
  PluginHost host;
  EXPECT_NE(loadError(host, file).find(file + ": cannot load:"), std::string::npos);
}

TEST(PluginHost, AFailingCreateIsAnErrorWithThePluginsReason) {
  PluginHost host;
  host.load(testPlugin("create_fails"));
  try {
    host.createAll(configFrom(""));
    FAIL() << "create() failure was ignored";
  } catch (const PluginError& e) {
    EXPECT_EQ(std::string(e.what()), testPlugin("create_fails") +
                                         ": plugin 'create_fails' failed to start: the upstream "
                                         "token is invalid");
  }
}

TEST(PluginHost, PluginConfigIsValidatedAgainstItsOwnTable) {
  PluginHost host;
  host.load(testPlugin("good_plugin"));
  EngineConfig bad = configFrom("strategies:\n  good:\n    greting: typo\n");
  try {
    host.createAll(bad);
    FAIL() << "unknown plugin key accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(":3:5: strategies.good.greting: unknown key"),
              std::string::npos)
        << e.what();
  }
  std::vector<std::string> warnings;
  auto values =
      host.validateConfig(configFrom("strategies:\n  good:\n    token: abcdef-123\n"), warnings);
  EXPECT_EQ(values["strategies.good"]["greeting"], "hello");
  EXPECT_EQ(values["strategies.good"]["token"], "abcdef-123");
}

TEST(PluginHost, ASectionForAPluginNotLoadedIsAnError) {
  PluginHost host;
  host.load(testPlugin("good_plugin"));
  EXPECT_THROW(host.createAll(configFrom("channels:\n  telegram:\n    token: x\n")), ConfigError);
}

TEST(PluginHost, LoadConfiguredLoadsNamedPluginsOrReportsTheMissingOne) {
  PluginHost host;
  PluginsConfig cfg{test::testPluginDir(), std::vector<std::string>{"good_plugin"}};
  host.loadConfigured(cfg);
  ASSERT_EQ(host.plugins().size(), 1u);
  EXPECT_EQ(host.plugins()[0]->name, "good");
  PluginHost other;
  PluginsConfig missing{test::testPluginDir(), std::vector<std::string>{"whatsapp"}};
  EXPECT_THROW(other.loadConfigured(missing), PluginError);
}

class Loopback : public ::testing::Test {
 protected:
  void SetUp() override {
    host_ = std::make_unique<PluginHost>(
        PluginHost::Services{[this](const std::string& channel, std::string_view e, size_t&) {
                               inbound_.emplace_back(channel, std::string(e));
                               return refuse_ ? 1 : 0;
                             },
                             {},
                             {}});
    plugin_ = &host_->load(loopbackPlugin());
    host_->createAll(configFrom("channels:\n  loopback:\n    max_sent: 2\n"));
  }

  baraza_http_reply call(const std::string& method, const std::string& path,
                         const std::string& body = "") {
    baraza_http_reply reply;
    baraza_http_request req{};
    req.method = method.c_str();
    req.path = path.c_str();
    req.query = "";
    req.body = body.data();
    req.body_len = body.size();
    req.request_id = "test";
    req.reply_host_ptr = &reply;
    plugin_->channel->on_http(plugin_->instance, &req);
    return reply;
  }

  std::unique_ptr<PluginHost> host_;
  const LoadedPlugin* plugin_ = nullptr;
  std::vector<std::pair<std::string, std::string>> inbound_;
  bool refuse_ = false;
};

TEST_F(Loopback, LoadsAsAChannelWithItsRoutes) {
  EXPECT_EQ(plugin_->kind, BARAZA_PLUGIN_KIND_CHANNEL);
  EXPECT_EQ(plugin_->http_paths, std::vector<std::string>{"/channels/loopback/*"});
  EXPECT_NE(plugin_->instance, nullptr);
}

TEST_F(Loopback, InboundMessagesReachTheEngineAndAreCounted) {
  Labels accepted = {{"channel", "loopback"}, {"result", "accepted"}};
  double before = MetricsRegistry::global().value("baraza_inbound_events_total", accepted);
  auto reply =
      call("POST", "/channels/loopback/messages", R"({"from":"254700000001","text":"hi"})");
  EXPECT_EQ(reply.status, 202);
  ASSERT_EQ(inbound_.size(), 1u);
  EXPECT_EQ(inbound_[0].first, "loopback");
  EXPECT_EQ(nlohmann::json::parse(inbound_[0].second)["text"], "hi");
  EXPECT_EQ(MetricsRegistry::global().value("baraza_inbound_events_total", accepted), before + 1);
}

TEST_F(Loopback, BadJsonIs400AndNothingReachesTheEngine) {
  auto reply = call("POST", "/channels/loopback/messages", "{not json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["error"], "invalid_json");
  EXPECT_TRUE(inbound_.empty());
}

TEST_F(Loopback, ARefusedEventIs503SoTheSenderRetries) {
  refuse_ = true;
  EXPECT_EQ(call("POST", "/channels/loopback/messages", "{}").status, 503);
}

TEST_F(Loopback, SentMessagesAreKeptUpToTheConfiguredCap) {
  char result[256];
  for (int i = 1; i <= 3; ++i) {
    std::string msg = R"({"to":"1","text":"m)" + std::to_string(i) + R"("})";
    ASSERT_EQ(
        plugin_->channel->send(plugin_->instance, msg.data(), msg.size(), result, sizeof(result)),
        0);
    EXPECT_EQ(nlohmann::json::parse(result)["id"], "loopback-" + std::to_string(i));
  }
  auto sent = nlohmann::json::parse(call("GET", "/channels/loopback/sent").body);
  ASSERT_EQ(sent.size(), 2u) << "max_sent: 2 keeps the newest two";
  EXPECT_EQ(sent[0]["text"], "m2");
  EXPECT_EQ(sent[1]["text"], "m3");
  std::string bad = "[1,2]";
  EXPECT_NE(
      plugin_->channel->send(plugin_->instance, bad.data(), bad.size(), result, sizeof(result)), 0);
}

}  // namespace
TEST_F(Loopback, AChannelThatCannotCheckAccountsLeavesRegistrationToTheOperator) {
  AccountVerifier verify = accountVerifier(*host_);
  ChannelSpec spec{"loopback", "123", "", "", "token", "", "", ""};
  AccountCheck check = verify(spec);
  EXPECT_EQ(check.result, AccountCheck::Result::kUnsupported);
  EXPECT_NE(check.detail.find("loopback channel plugin cannot check"), std::string::npos)
      << check.detail;
  spec.type = "telegram";  // not loaded at all
  EXPECT_EQ(verify(spec).result, AccountCheck::Result::kUnsupported);
  EXPECT_EQ(MetricsRegistry::global().value("baraza_channel_verifications_total",
                                            {{"result", "unsupported"}, {"type", "loopback"}}),
            1);
}

}  // namespace baraza
