// Sending and media download through the built plugin against a mock Graph API.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/metrics.h"
#include "fixtures.h"
#include "graph_client.h"
#include "message_builder.h"
#include "plugin_host/plugin_host.h"
#include "signature.h"
#include "storage/migrator.h"
#include "support/mock_graph.h"

namespace baraza::whatsapp {
namespace {

using baraza::test::MockAnswer;
using baraza::test::MockGraph;
using baraza::test::RecordedRequest;
using nlohmann::json;

const char* kToken = "EAAX-test-token-77";

class Outbound : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin_ = &host_.load(baraza::test::binaryDir() + "/plugins/whatsapp.so");
    host_.createAll(loadEngineConfig(
        dir_.write("c.yaml", "channels:\n  whatsapp:\n    graph_base_url: \"" + graph_.baseUrl() +
                                 "\"\n    request_timeout_ms: 500\n    media_max_bytes: 4096\n")));
  }

  json account() const {
    return {{"phone_number_id", "119202345678901"}, {"access_token", kToken}};
  }

  std::pair<int, json> send(json message) {
    message["account"] = account();
    std::string text = message.dump();
    char result[2048];
    int rc =
        plugin_->channel->send(plugin_->instance, text.data(), text.size(), result, sizeof(result));
    return {rc, json::parse(result)};
  }

  std::pair<int, json> fetch(json request) {
    request["account"] = account();
    std::string text = request.dump();
    char result[2048];
    auto hook = plugin_->fetchMediaHook();
    EXPECT_NE(hook, nullptr);
    int rc = hook(plugin_->instance, text.data(), text.size(), result, sizeof(result));
    return {rc, json::parse(result)};
  }

  json textMessage() const {
    return {{"kind", "text"}, {"to", "254711000111"}, {"text", "Karibu!"}};
  }

  MockGraph graph_;
  baraza::test::TempDir dir_;
  PluginHost host_;
  const LoadedPlugin* plugin_ = nullptr;
};

TEST_F(Outbound, SendPostsTheBuiltBodyWithTheTenantsTokenAndReturnsTheWamid) {
  graph_.respond([](const RecordedRequest&) {
    return MockAnswer{200, R"({"messaging_product":"whatsapp","contacts":[{"input":"254711000111",
      "wa_id":"254711000111"}],"messages":[{"id":"wamid.OUT1"}]})"};
  });
  auto [rc, result] = send(textMessage());
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(result["ok"], true);
  EXPECT_EQ(result["id"], "wamid.OUT1");
  EXPECT_EQ(result["wa_id"], "254711000111");
  auto requests = graph_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v23.0/119202345678901/messages");
  EXPECT_EQ(requests[0].authorization, std::string("Bearer ") + kToken);
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_EQ(json::parse(requests[0].body), buildGraphMessage(textMessage()).body);
  EXPECT_EQ(result.dump().find(kToken), std::string::npos);
}

TEST_F(Outbound, MarkAsReadGoesToTheSamePath) {
  auto [rc, result] =
      send({{"kind", "mark_read"}, {"message_id", "wamid.IN"}, {"typing_indicator", true}});
  EXPECT_EQ(rc, 0);
  auto body = json::parse(graph_.requests().at(0).body);
  EXPECT_EQ(body["status"], "read");
  EXPECT_EQ(body["typing_indicator"]["type"], "text");
}

TEST_F(Outbound, MetaErrorsComeBackClassified) {
  struct Case {
    int status;
    long long code;
    bool transient;
    const char* cls;
    const char* reason;
  };
  const Case cases[] = {
      {400, 130429, false, "retry_later", "throughput_limit"},
      {400, 131056, false, "retry_later", "pair_rate_limit"},
      {400, 131047, false, "outside_window", "outside_24h_window"},
      {400, 131048, false, "fatal", "spam_limit"},
      {401, 190, false, "fatal", "token_invalid"},
      {400, 131026, false, "fatal", "undeliverable"},
      {400, 100, false, "fatal", "bad_parameter"},
      {500, 1, true, "retry_later", "meta_unavailable"},
      {400, 55555, true, "retry_later", "transient"},
  };
  for (const auto& c : cases) {
    graph_.respond([&](const RecordedRequest&) {
      return MockAnswer{c.status,
                        MockGraph::errorBody(c.code, "Meta says no", 2494010, c.transient)};
    });
    auto [rc, result] = send(textMessage());
    EXPECT_NE(rc, 0) << c.code;
    EXPECT_EQ(result["ok"], false);
    EXPECT_EQ(result["class"], c.cls) << c.code;
    EXPECT_EQ(result["reason"], c.reason) << c.code;
    EXPECT_EQ(result["code"], c.code);
    EXPECT_EQ(result["subcode"], 2494010);
    EXPECT_EQ(result["http_status"], c.status);
    EXPECT_EQ(result["details"], "Meta says no");
    EXPECT_EQ(result.contains("retry_after_ms"), std::string(c.cls) == "retry_later") << c.code;
  }
}

TEST_F(Outbound, A5xxWithoutABodyAndATimeoutAreRetriedLater) {
  graph_.respond([](const RecordedRequest&) {
    return MockAnswer{502, "<html>bad gateway</html>"};
  });
  auto [rc, result] = send(textMessage());
  EXPECT_EQ(result["class"], "retry_later");
  EXPECT_EQ(result["reason"], "http_5xx");
  graph_.respond([](const RecordedRequest&) {
    return MockAnswer{200, "{}", "application/json", std::chrono::milliseconds(1500)};
  });
  auto [rc2, timed_out] = send(textMessage());
  EXPECT_NE(rc2, 0);
  EXPECT_EQ(timed_out["class"], "retry_later");
  EXPECT_EQ(timed_out["reason"], "transport");
}

TEST_F(Outbound, AnInvalidMessageIsRefusedWithoutCallingMeta) {
  json four_buttons = {{"kind", "buttons"}, {"to", "1"}, {"body", "b"}, {"buttons", json::array()}};
  for (int i = 0; i < 4; ++i) {
    four_buttons["buttons"].push_back({{"id", std::to_string(i)}, {"title", "t"}});
  }
  auto [rc, result] = send(four_buttons);
  EXPECT_NE(rc, 0);
  EXPECT_EQ(result["class"], "fatal");
  EXPECT_EQ(result["reason"], "invalid_request");
  EXPECT_EQ(result["details"], "buttons: 4 given; Meta allows 1 to 3");
  std::string no_account = textMessage().dump();
  char out[512];
  EXPECT_NE(plugin_->channel->send(plugin_->instance, no_account.data(), no_account.size(), out,
                                   sizeof(out)),
            0);
  EXPECT_NE(std::string(out).find("account"), std::string::npos);
  EXPECT_TRUE(graph_.requests().empty());
}

TEST_F(Outbound, ASmallResultBufferGetsAShorterValidAnswerWithTheSameOutcome) {
  graph_.respond([](const RecordedRequest&) {
    return MockAnswer{200, R"({"messages":[{"id":"wamid.OUT1"}]})"};
  });
  json msg = textMessage();
  msg["account"] = account();
  std::string text = msg.dump();
  for (size_t cap : {12, 16, 40}) {
    std::vector<char> out(cap);
    int rc = plugin_->channel->send(plugin_->instance, text.data(), text.size(), out.data(), cap);
    EXPECT_EQ(rc, 0) << cap;
    auto answer = json::parse(out.data());
    EXPECT_EQ(answer["ok"], true) << cap << ": " << out.data();
  }
  std::vector<char> tiny(4, 'x');
  plugin_->channel->send(plugin_->instance, text.data(), text.size(), tiny.data(), tiny.size());
  EXPECT_STREQ(tiny.data(), "") << "too small for any JSON: empty, never cut";
}

TEST_F(Outbound, AnAnswerWithAStrangeShapeIsStillASuccess) {
  graph_.respond([](const RecordedRequest&) {
    return MockAnswer{200, R"({"messages":[{"id":42}],"contacts":"x"})"};
  });
  auto [rc, result] = send(textMessage());
  EXPECT_EQ(rc, 0) << "Meta took it: it must not be sent again";
  EXPECT_EQ(result["ok"], true);
}

TEST_F(Outbound, WronglyTypedRequestFieldsAreRefusedNotRetried) {
  json msg = textMessage();
  msg["account"] = {{"phone_number_id", 119202345678901LL}, {"access_token", kToken}};
  std::string text = msg.dump();
  char out[512];
  EXPECT_NE(plugin_->channel->send(plugin_->instance, text.data(), text.size(), out, sizeof(out)),
            0);
  EXPECT_EQ(json::parse(out)["reason"], "invalid_request");
  msg["account"] = {{"phone_number_id", "1"}, {"access_token", "abc\r\nX-Evil: 1"}};
  text = msg.dump();
  plugin_->channel->send(plugin_->instance, text.data(), text.size(), out, sizeof(out));
  EXPECT_EQ(json::parse(out)["reason"], "invalid_request");
  EXPECT_TRUE(graph_.requests().empty());
}

class Media : public Outbound {
 protected:
  void serve(const std::string& bytes, const std::string& sha256, bool chunked = false) {
    std::string base = graph_.baseUrl();
    graph_.respond([bytes, sha256, base, chunked](const RecordedRequest& r) {
      if (r.path == "/v23.0/3141592653") {
        return MockAnswer{200, json{{"url", base + "/media/abc?token=short-lived"},
                                    {"mime_type", "image/jpeg"},
                                    {"sha256", sha256},
                                    {"file_size", std::to_string(bytes.size())},
                                    {"id", "3141592653"}}
                                   .dump()};
      }
      if (r.path == "/media/abc" && r.authorization == std::string("Bearer ") + kToken) {
        MockAnswer a{200, bytes, "image/jpeg"};
        a.chunked = chunked;
        return a;
      }
      return MockAnswer{401, MockGraph::errorBody(190, "no token")};
    });
  }
  std::string target() const { return dir_.file("media.jpg"); }
};

std::string sha256Base64(const std::string& data) {
  std::string hex = sha256Hex(data), raw;
  for (size_t i = 0; i < hex.size(); i += 2) {
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < raw.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(raw[i]) << 16;
    if (i + 1 < raw.size())
      v |= static_cast<unsigned char>(raw[i + 1]) << 8;
    if (i + 2 < raw.size())
      v |= static_cast<unsigned char>(raw[i + 2]);
    out += b64[v >> 18 & 63];
    out += b64[v >> 12 & 63];
    out += i + 1 < raw.size() ? b64[v >> 6 & 63] : '=';
    out += i + 2 < raw.size() ? b64[v & 63] : '=';
  }
  return out;
}

TEST_F(Media, IdToUrlToBytesWithTheTokenAndTheHashChecked) {
  std::string bytes = "\xFF\xD8\xFF\xE0 jpeg bytes \x00\x01\x02";
  bytes.append(1000, 'x');
  serve(bytes, sha256Hex(bytes));
  auto [rc, result] = fetch(
      {{"media_id", "3141592653"}, {"path", target()}, {"expected_sha256", sha256Base64(bytes)}});
  ASSERT_EQ(rc, 0) << result;
  EXPECT_EQ(result["mime_type"], "image/jpeg");
  EXPECT_EQ(result["bytes"], bytes.size());
  EXPECT_EQ(result["sha256"], sha256Hex(bytes));
  EXPECT_EQ(test::readFile(target()), bytes);
  auto requests = graph_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/v23.0/3141592653");
  EXPECT_NE(requests[0].query.find("phone_number_id=119202345678901"), std::string::npos);
  EXPECT_EQ(requests[1].authorization, std::string("Bearer ") + kToken);
}

TEST_F(Media, AHashMismatchDeletesTheFile) {
  serve("the real bytes", sha256Hex("other bytes"));
  auto [rc, result] = fetch({{"media_id", "3141592653"}, {"path", target()}});
  EXPECT_NE(rc, 0);
  EXPECT_EQ(result["reason"], "sha256_mismatch");
  EXPECT_FALSE(std::ifstream(target()).good());
}

TEST_F(Media, AFileOverTheCapIsRefusedAndDeleted) {
  std::string big(5000, 'b');           // media_max_bytes is 4096
  for (bool chunked : {false, true}) {  // with and without a Content-Length announcing it
    serve(big, sha256Hex(big), chunked);
    auto [rc, result] = fetch({{"media_id", "3141592653"}, {"path", target()}});
    EXPECT_NE(rc, 0) << chunked;
    EXPECT_EQ(result["reason"], "media_too_large") << chunked;
    EXPECT_FALSE(std::ifstream(target()).good());
    EXPECT_FALSE(std::ifstream(target() + ".part").good());
  }
  std::string small(600, 's');
  serve(small, sha256Hex(small), true);
  EXPECT_EQ(
      fetch({{"media_id", "3141592653"}, {"path", target()}, {"max_bytes", 500}}).second["reason"],
      "media_too_large")
      << "a request's own smaller cap counts";
  EXPECT_EQ(fetch({{"media_id", "3141592653"}, {"path", target()}, {"max_bytes", -1}}).first, 0)
      << "a nonsense cap falls back to media_max_bytes, never to no cap";
}

TEST_F(Media, AFailedFetchLeavesAnExistingFileAlone) {
  std::ofstream(target()) << "keep me";
  serve("the real bytes", sha256Hex("other bytes"));
  EXPECT_NE(fetch({{"media_id", "3141592653"}, {"path", target()}}).first, 0);
  EXPECT_EQ(test::readFile(target()), "keep me");
}

TEST_F(Media, UppercaseHexHashesMatch) {
  std::string bytes = "abc";
  std::string hex = sha256Hex(bytes);
  for (auto& c : hex)
    c = static_cast<char>(std::toupper(c));
  serve(bytes, hex);
  EXPECT_EQ(fetch({{"media_id", "3141592653"}, {"path", target()}}).first, 0);
}

TEST_F(Media, BadRequestsAreRefusedBeforeAnyCall) {
  EXPECT_EQ(fetch({{"media_id", "../etc"}, {"path", target()}}).second["reason"],
            "invalid_request");
  EXPECT_EQ(fetch({{"media_id", "1"}}).second["reason"], "invalid_request");
  EXPECT_TRUE(graph_.requests().empty());
}

TEST(GraphClient, ConnectionsAreReusedAcrossCalls) {
  MockGraph graph;
  GraphClient client({graph.baseUrl(), "v23.0", 3000, 5000});
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(client.postJson("1/messages", "{}", "t").http_status, 200);
  }
  EXPECT_EQ(client.connectionsOpened(), 1);
  EXPECT_EQ(graph.requests().size(), 20u);
}

}  // namespace
}  // namespace baraza::whatsapp
