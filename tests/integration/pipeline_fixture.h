// The pipeline's end-to-end fixture: a tenant "duka" imported into a fresh database (SQLite
// or PostgreSQL), the real engine process, signed webhooks in and a mock Graph API out.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "storage/database.h"
#include "support/engine_process.h"
#include "support/http_client.h"
#include "support/meta_signature.h"
#include "support/mock_graph.h"
#include "support/test_env.h"

namespace baraza::test {

using nlohmann::json;

inline const std::string kSecret = "pipeline-app-secret-77";
inline const std::string kOperator = "pipeline-operator-token";
inline const std::string kNumber = "5551000";

inline std::string sign(const std::string& body) {
  return metaSignature(kSecret, body);
}

// Meta's webhook with one text message per (wamid, text), all from `from`.
inline std::string textWebhook(const std::vector<std::pair<std::string, std::string>>& messages,
                               const std::string& from = "254711000111",
                               const std::string& number = kNumber, std::time_t sent_at = 0) {
  json list = json::array();
  for (const auto& [id, text] : messages) {
    list.push_back({{"from", from},
                    {"id", id},
                    {"timestamp", std::to_string(sent_at ? sent_at : std::time(nullptr))},
                    {"type", "text"},
                    {"text", {{"body", text}}}});
  }
  json value{{"messaging_product", "whatsapp"},
             {"metadata", {{"display_phone_number", "254700555000"}, {"phone_number_id", number}}},
             {"contacts", {{{"profile", {{"name", "Wanjiku"}}}, {"wa_id", from}}}},
             {"messages", list}};
  return json{
      {"object", "whatsapp_business_account"},
      {"entry", {{{"id", "WABA1"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}}
      .dump();
}

inline std::string statusWebhook(const std::string& wamid, const std::string& status) {
  json value{{"messaging_product", "whatsapp"},
             {"metadata", {{"display_phone_number", "254700555000"}, {"phone_number_id", kNumber}}},
             {"statuses",
              {{{"id", wamid},
                {"status", status},
                {"timestamp", std::to_string(std::time(nullptr))},
                {"recipient_id", "254711000111"}}}}};
  return json{
      {"object", "whatsapp_business_account"},
      {"entry", {{{"id", "WABA1"}, {"changes", {{{"field", "messages"}, {"value", value}}}}}}}}
      .dump();
}

inline MockAnswer sent(int n) {
  return {
      200,
      R"({"messaging_product":"whatsapp","contacts":[{"input":"254711000111","wa_id":"254711000111"}],"messages":[{"id":"wamid.OUT-)" +
          std::to_string(n) + R"("}]})"};
}

class Pipeline : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<DialectDatabase>(GetParam());
    graph_.respond([this](const RecordedRequest&) { return sent(++sends_); });
    tenant_file_ = dir_.write(
        "duka.yaml", "slug: duka\nname: Duka\nchannels:\n  - phone_number_id: \"" + kNumber +
                         "\"\n    display_phone_number: \"254700555000\"\n"
                         "    access_token: EAAG-pipeline-token-secret\nsettings:\n"
                         "  static_reply: \"Asante! We will reply soon.\"\n"
                         "  strategies: static_reply\n  reengagement_template: karibu_tena\n");
    env_ = {{"BARAZA_DATABASE_URL", target_->url()},
            {"BARAZA_SECURITY_MASTER_KEY_FILE", dir_.file("master.key")},
            {"BARAZA_ADMIN_TOKEN", kOperator}};
    auto r = runBaraza({"tenant", "import", tenant_file_}, env_);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // `more_apps`: further entries of channels.whatsapp.apps, as YAML list items.
  std::string config(const std::string& more_apps = "") {
    return dir_.write("c.yaml",
                      "plugins:\n  load: [whatsapp, static_reply]\n"
                      "channels:\n  whatsapp:\n    graph_base_url: " +
                          graph_.baseUrl() +
                          "\n    apps:\n      - name: default\n"
                          "        app_secret: " +
                          kSecret + "\n" + more_apps +
                          "pipeline:\n  retry_base_ms: 20\n  retry_max_ms: 100\n"
                          "  poll_ms: 20\n  pair_interval_ms: 0\n  lock_ms: 1000\n");
  }
  // `extra` overrides config keys through BARAZA_<KEY> variables.
  void start(const std::map<std::string, std::string>& extra = {}) {
    auto env = env_;
    env.insert(extra.begin(), extra.end());
    engine_ = std::make_unique<EngineProcess>(config(), env);
  }
  RawResponse post(const std::string& body) {
    return httpRequest(engine_->port(), "POST", "/webhook/whatsapp", body,
                       {{"X-Hub-Signature-256", sign(body)}, {"Content-Type", "application/json"}});
  }
  // As Meta does with a webhook it got no 200 for: delivers it again, every `pause`, until it
  // is accepted or `attempts` run out. Returns the last status.
  int postUntilAccepted(const std::string& body, int attempts = 100,
                        std::chrono::milliseconds pause = std::chrono::milliseconds(100)) {
    int status = 0;
    for (int i = 0; i < attempts && status != 200; ++i) {
      status = post(body).status;
      if (status != 200)
        std::this_thread::sleep_for(pause);
    }
    return status;
  }
  // Limits off, for a load that is one tenant's (a limit would rightly leave messages
  // unanswered).
  void limitsOff() {
    std::string yaml = readFileText(tenant_file_);
    yaml.replace(yaml.find("settings:\n"), 10,
                 "settings:\n  max_messages_per_hour: 0\n  max_messages_per_user_per_day: 0\n");
    auto imported = runBaraza({"tenant", "import", dir_.write("duka.yaml", yaml)}, env_);
    ASSERT_EQ(imported.exit_code, 0) << imported.err;
  }
  // Who each text reply went to, and how many times.
  std::map<std::string, int> repliesByRecipient() {
    std::map<std::string, int> out;
    for (const auto& r : graph_.requests()) {
      if (r.path.find("/messages") == std::string::npos)
        continue;
      json body = json::parse(r.body, nullptr, false);
      if (body.is_object() && body.value("type", "") == "text")
        ++out[body.value("to", "")];
    }
    return out;
  }
  // Whether each of `customers` got a text reply.
  bool allAnswered(const std::vector<std::string>& customers) {
    auto replies = repliesByRecipient();
    return std::all_of(customers.begin(), customers.end(),
                       [&](const std::string& c) { return replies.count(c) > 0; });
  }
  // Polls until each of `customers` got a reply, or `limit` has passed; says whether they did.
  bool waitAllAnswered(const std::vector<std::string>& customers, std::chrono::milliseconds limit) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!allAnswered(customers) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return allAnswered(customers);
  }
  json admin(const std::string& path) {
    auto r =
        httpRequest(engine_->port(), "GET", path, "", {{"Authorization", "Bearer " + kOperator}});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  RawResponse adminCall(const std::string& method, const std::string& path, const std::string& body,
                        const std::string& content_type = "application/json") {
    return httpRequest(engine_->port(), method, path, body,
                       {{"Authorization", "Bearer " + kOperator}, {"Content-Type", content_type}});
  }
  // Polls until `done` or 10 s.
  bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done())
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }
  size_t messageSends() {
    size_t n = 0;
    for (const auto& r : graph_.requests())
      n += r.path.find("/messages") != std::string::npos;
    return n;
  }
  long long count(const std::string& sql) {
    Database db(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(db, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  }

  TempDir dir_;
  std::unique_ptr<DialectDatabase> target_;
  MockGraph graph_;
  std::atomic<int> sends_{0};
  std::string tenant_file_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<EngineProcess> engine_;
};

}  // namespace baraza::test
