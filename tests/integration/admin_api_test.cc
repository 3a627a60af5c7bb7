// The /admin/v1 API of the real engine process: operator token, tenant API keys, isolation.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <thread>

#include "integration/admin_fixture.h"

namespace baraza::test {
namespace {

using nlohmann::json;

TEST_P(AdminApi, NoOrAWrongTokenIs401) {
  EXPECT_EQ(call("GET", "/admin/v1/tenants", "").status, 401);
  auto r = call("GET", "/admin/v1/tenants", "operator-token-31338");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json::parse(r.body)["error"], "unauthorized");
  EXPECT_EQ(call("GET", "/admin/v1/tenants", "bzk_" + std::string(40, '0')).status, 401);
}

TEST_P(AdminApi, TheOperatorPagesThroughEveryTenant) {
  auto first = call("GET", "/admin/v1/tenants?limit=2", kOperator);
  ASSERT_EQ(first.status, 200) << first.body;
  auto page1 = json::parse(first.body);
  ASSERT_EQ(page1["tenants"].size(), 2u);
  EXPECT_EQ(page1["tenants"][0]["slug"], "expiring");
  EXPECT_EQ(page1["tenants"][1]["slug"], "kassangas");
  auto second = json::parse(
      call("GET", "/admin/v1/tenants?limit=2&cursor=" + page1["next_cursor"].get<std::string>(),
           kOperator)
          .body);
  ASSERT_EQ(second["tenants"].size(), 2u);
  EXPECT_EQ(second["tenants"][1]["slug"], "nyumba-amina");
  EXPECT_EQ(second["tenants"][1]["organization"], "nyumba-realty");
  EXPECT_TRUE(second["next_cursor"].is_null());
  auto bad = call("GET", "/admin/v1/tenants?limit=0", kOperator);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(json::parse(bad.body)["details"].get<std::string>().find("limit"), std::string::npos);
}

TEST_P(AdminApi, ATenantShowsItsChannelsWithSecretsMasked) {
  auto r = call("GET", "/admin/v1/tenants/kassangas", kOperator);
  ASSERT_EQ(r.status, 200) << r.body;
  auto t = json::parse(r.body);
  EXPECT_EQ(t["templates"], 3);
  EXPECT_EQ(t["knowledge_entries"], 9);
  ASSERT_EQ(t["channels"].size(), 1u);
  EXPECT_EQ(t["channels"][0]["phone_number_id"], "119202345678901");
  EXPECT_EQ(t["channels"][0]["access_token"], "********");
  EXPECT_EQ(t["channels"][0]["verify_token"], "********");
  EXPECT_EQ(r.body.find("placeholder"), std::string::npos);
  EXPECT_EQ(r.body.find("kassangas-verify"), std::string::npos);
  EXPECT_EQ(call("GET", "/admin/v1/tenants/nobody", kOperator).status, 404);
}

TEST_P(AdminApi, ATenantKeySeesOnlyItsOwnTenantOnEveryRoute) {
  std::string key = newKey("mama-mboga");
  EXPECT_EQ(key.rfind("bzk_", 0), 0u);
  auto list = json::parse(call("GET", "/admin/v1/tenants", key).body);
  ASSERT_EQ(list["tenants"].size(), 1u);
  EXPECT_EQ(list["tenants"][0]["slug"], "mama-mboga");
  EXPECT_EQ(call("GET", "/admin/v1/tenants/mama-mboga", key).status, 200);
  for (const auto& [method, path, body] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"GET", "/admin/v1/tenants/kassangas", ""},
           {"POST", "/admin/v1/tenants/kassangas/api-keys", R"({"name":"x"})"},
           {"GET", "/admin/v1/tenants/nobody", ""}}) {
    auto r = call(method, path, key, body);
    EXPECT_EQ(r.status, 404) << method << " " << path;
    EXPECT_EQ(r.body.find("Kassangas"), std::string::npos) << "no data about another tenant";
  }
  auto alerts = json::parse(call("GET", "/admin/v1/alerts", key).body);
  EXPECT_TRUE(alerts["alerts"].empty()) << "another tenant's alert is not shown";
  auto mint = call("POST", "/admin/v1/tenants/mama-mboga/api-keys", key, R"({"name":"x"})");
  EXPECT_EQ(mint.status, 403) << "a tenant key cannot mint its successor";
}

TEST_P(AdminApi, BadBodiesNameTheField) {
  auto r = call("POST", "/admin/v1/tenants/kassangas/api-keys", kOperator, R"({"name":""})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["details"].get<std::string>().rfind("name:", 0), 0u);
  EXPECT_EQ(call("POST", "/admin/v1/tenants/kassangas/api-keys", kOperator, "{").status, 400);
  EXPECT_EQ(call("DELETE", "/admin/v1/tenants", kOperator).status, 405);
}

TEST_P(AdminApi, ATokenExpiringWithinTwoWeeksIsAnAlertInTheApiTheLogAndMetrics) {
  auto alerts = json::parse(call("GET", "/admin/v1/alerts", kOperator).body)["alerts"];
  ASSERT_EQ(alerts.size(), 1u) << alerts;
  EXPECT_EQ(alerts[0]["kind"], "token_expiring");
  EXPECT_EQ(alerts[0]["tenant"], "expiring");
  EXPECT_EQ(alerts[0]["phone_number_id"], "888");
  EXPECT_GE(alerts[0]["days_left"].get<int>(), 2);
  EXPECT_NE(engine_->log().find("tenant expiring: the access token of 888 expires on"),
            std::string::npos)
      << engine_->log();
  auto metrics = httpRequest(engine_->port(), "GET", "/metrics").body;
  EXPECT_NE(metrics.find("baraza_channel_tokens_expiring 1"), std::string::npos);
  std::string key = newKey("expiring");
  EXPECT_EQ(json::parse(call("GET", "/admin/v1/alerts", key).body)["alerts"].size(), 1u);
}

TEST_P(AdminApi, KeysAreListedWithoutTheirSecretAndARevokedKeyStopsWorking) {
  std::string key = newKey("kassangas");
  auto list = json::parse(call("GET", "/admin/v1/tenants/kassangas/api-keys", kOperator).body);
  ASSERT_EQ(list["api_keys"].size(), 1u);
  EXPECT_EQ(list["api_keys"][0]["prefix"], key.substr(0, 12));
  EXPECT_EQ(list.dump().find(key), std::string::npos);
  std::string id = list["api_keys"][0]["id"];
  EXPECT_EQ(call("GET", "/admin/v1/tenants", key).status, 200);
  EXPECT_EQ(call("DELETE", "/admin/v1/tenants/kassangas/api-keys/" + id, key).status, 204)
      << "a key may revoke itself";
  EXPECT_EQ(call("GET", "/admin/v1/tenants", key).status, 401);
  EXPECT_EQ(call("DELETE", "/admin/v1/tenants/kassangas/api-keys/" + id, kOperator).status, 404);
  auto audit = json::parse(
      call("GET", "/admin/v1/tenants/kassangas/audit?entity=api_key", kOperator).body)["entries"];
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0]["action"], "revoke");
  EXPECT_EQ(audit[0]["actor"], "api-key:" + key.substr(0, 12));
  EXPECT_EQ(audit[1]["action"], "create");
  EXPECT_EQ(audit[1]["actor"], "operator");
  auto imports = json::parse(
      call("GET", "/admin/v1/tenants/kassangas/audit?action=create&entity=tenant", kOperator)
          .body)["entries"];
  ASSERT_EQ(imports.size(), 1u);
  EXPECT_EQ(imports[0]["after"]["access_tokens"], "sealed");
  std::string other = newKey("mama-mboga");
  EXPECT_EQ(call("GET", "/admin/v1/tenants/kassangas/audit", other).status, 404);
  EXPECT_EQ(call("GET", "/admin/v1/tenants/kassangas/api-keys", other).status, 404);
}

TEST_P(AdminApi, CreatedKeysAreAuditedAndStoredOnlyAsAHash) {
  std::string key = newKey("kassangas");
  {
    Database db(target_->url(), 1, std::chrono::milliseconds(2000));
    TenantScope scope(db, TenantScope::kAllTenants);
    long long audited = 0;
    scope.sql() << "SELECT COUNT(*) FROM audit_log WHERE entity = 'api_key' AND actor = 'operator'",
        soci::into(audited);
    EXPECT_EQ(audited, 1);
  }
  if (GetParam() == Dialect::kSqlite) {
    std::ifstream in(target_->file("db/baraza.db"), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_FALSE(bytes.str().empty());
    EXPECT_EQ(bytes.str().find(key), std::string::npos);
  }
  EXPECT_EQ(engine_->log().find(key), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, AdminApi,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza::test
