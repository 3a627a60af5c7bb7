// A key registers only a number its access token reaches at the Graph API (issue 17: a tenant
// key could claim another business's phone_number_id first). The operator stays trusted.
#include "pipeline_fixture.h"

namespace baraza::test {
namespace {

const std::string kOwnerToken = "EAAG-owner-token-5550777";
const std::string kThiefToken = "EAAG-thief-token-9999999";

class ChannelOwnership : public Pipeline {
 protected:
  void SetUp() override {
    Pipeline::SetUp();
    graph_.respond([](const RecordedRequest& r) -> MockAnswer {
      if (r.method != "GET")
        return sent(1);
      if (r.path == "/v23.0/5550777" && r.authorization == "Bearer " + kOwnerToken) {
        return {200, R"({"id":"5550777","display_phone_number":"+254 700 555-777",)"
                     R"("verified_name":"Duka","quality_rating":"GREEN"})"};
      }
      if (r.path == "/v23.0/5550888")  // Meta having a bad minute
        return {500, R"({"error":{"message":"An unknown error occurred","code":1}})"};
      // What Graph answers a token that cannot read the object, quoting the request.
      json error{{"error",
                  {{"message", "Unsupported get request. Object with ID '" + r.path.substr(7) +
                                   "' does not exist (token " + r.authorization.substr(7) + ")"},
                   {"type", "GraphMethodException"},
                   {"code", 100},
                   {"error_subcode", 33}}}};
      return {400, error.dump()};
    });
  }
  std::string tenantKey() {
    auto r = adminCall("POST", "/admin/v1/tenants/duka/api-keys", R"({"name":"shop"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["key"];
  }
  RawResponse registerNumber(const std::string& key, const std::string& number,
                             const std::string& token) {
    json body{{"phone_number_id", number}, {"access_token", token}};
    return httpRequest(engine_->port(), "POST", "/admin/v1/tenants/duka/channels", body.dump(),
                       {{"Authorization", "Bearer " + key}, {"Content-Type", "application/json"}});
  }
  size_t graphReads(const std::string& number) {
    size_t n = 0;
    for (const auto& r : graph_.requests())
      n += r.method == "GET" && r.path == "/v23.0/" + number;
    return n;
  }
  std::string metrics() { return httpRequest(engine_->port(), "GET", "/metrics").body; }
};

TEST_P(ChannelOwnership, AKeyRegistersOnlyANumberItsTokenReaches) {
  start();
  std::string key = tenantKey();
  // Another business's number, with a token that cannot read it: refused, nothing stored, and
  // neither the token nor Graph's words (which quote it) come back.
  auto thief = registerNumber(key, "5550777", kThiefToken);
  EXPECT_EQ(thief.status, 422) << thief.body;
  EXPECT_EQ(json::parse(thief.body)["error"], "number_not_verified");
  EXPECT_NE(thief.body.find("code 100"), std::string::npos) << thief.body;
  EXPECT_EQ(graphReads("5550777"), 1u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM channel_accounts WHERE phone_number_id = '5550777'"), 0);
  // The owner's token reaches it: registered, with the number Graph shows.
  auto owner = registerNumber(key, "5550777", kOwnerToken);
  ASSERT_EQ(owner.status, 201) << owner.body;
  EXPECT_EQ(json::parse(owner.body)["display_phone_number"], "254700555777");
  // Graph unable to answer: 503, to try again, and nothing stored.
  auto later = registerNumber(key, "5550888", kOwnerToken);
  EXPECT_EQ(later.status, 503) << later.body;
  EXPECT_EQ(json::parse(later.body)["error"], "verification_unavailable");
  EXPECT_EQ(count("SELECT COUNT(*) FROM channel_accounts WHERE phone_number_id = '5550888'"), 0);
  // The operator is not asked to prove anything.
  auto op = registerNumber(kOperator, "5550999", "EAAG-operator-given");
  EXPECT_EQ(op.status, 201) << op.body;
  EXPECT_EQ(graphReads("5550999"), 0u);
  std::string m = metrics();
  for (const char* result : {"verified", "refused", "unavailable"}) {
    EXPECT_NE(m.find("baraza_channel_verifications_total{result=\"" + std::string(result) +
                     "\",type=\"whatsapp\"} 1"),
              std::string::npos)
        << result << "\n"
        << m;
  }
  std::string everything = thief.body + owner.body + later.body + engine_->log();
  EXPECT_EQ(everything.find(kThiefToken), std::string::npos);
  EXPECT_EQ(everything.find(kOwnerToken), std::string::npos);
}

TEST_P(ChannelOwnership, ADryRunEngineLeavesRegistrationToTheOperator) {
  start({{"BARAZA_CHANNELS_WHATSAPP_DRY_RUN", "true"}});
  auto r = registerNumber(tenantKey(), "5550777", kOwnerToken);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("dry_run"), std::string::npos) << r.body;
  EXPECT_EQ(graphReads("5550777"), 0u);
  EXPECT_EQ(registerNumber(kOperator, "5550777", kOwnerToken).status, 201);
}

INSTANTIATE_TEST_SUITE_P(SqliteOnly, ChannelOwnership, ::testing::Values(Dialect::kSqlite),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
