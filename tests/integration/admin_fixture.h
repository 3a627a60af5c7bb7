#pragma once
// The admin API tests' fixture: a real engine process over SQLite or PostgreSQL with four
// imported tenants (expiring, kassangas, mama-mboga, nyumba-realty-amina) and an operator token.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>

#include "core/iso_time.h"
#include "storage/database.h"
#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/test_env.h"

namespace baraza::test {

const std::string kOperator = "operator-token-31337";

class AdminApi : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<DialectDatabase>(GetParam());
    env_ = {{"BARAZA_DATABASE_URL", target_->url()},
            {"BARAZA_SECURITY_MASTER_KEY_FILE", dir_.file("master.key")},
            {"BARAZA_ADMIN_TOKEN", kOperator}};
    std::string soon = formatIsoUtc(std::time(nullptr) + 3 * 86400);
    auto expiring =
        dir_.write("expiring.yaml",
                   "slug: expiring\nname: Expiring\nchannels:\n  - phone_number_id: \"888\"\n"
                   "    access_token: t-888888\n    token_expires_at: \"" +
                       soon + "\"\n");
    std::vector<std::string> args = {"tenant", "import", expiring};
    for (const char* t : {"kassangas", "mama-mboga", "nyumba-realty-amina"}) {
      args.push_back(sourceDir() + "/examples/tenants/" + t + ".yaml");
    }
    auto r = runBaraza(args, env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    engine_ = std::make_unique<EngineProcess>("", env_);
  }

  RawResponse call(const std::string& method, const std::string& path, const std::string& token,
                   const std::string& body = "") {
    std::map<std::string, std::string> headers;
    if (!token.empty())
      headers["Authorization"] = "Bearer " + token;
    return httpRequest(engine_->port(), method, path, body, headers);
  }

  std::string newKey(const std::string& slug) {
    auto r = call("POST", "/admin/v1/tenants/" + slug + "/api-keys", kOperator, R"({"name":"ci"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return nlohmann::json::parse(r.body)["key"];
  }

  TempDir dir_;
  std::unique_ptr<DialectDatabase> target_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<EngineProcess> engine_;
};

}  // namespace baraza::test
