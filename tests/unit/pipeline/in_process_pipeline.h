// The pipeline in process, one batch at a time (no threads) or with its own threads on an
// injected clock: a fresh database (SQLite or PostgreSQL) with three tenants, the static_reply,
// ai_chain and whatsapp plugins, and a mock Graph API that answers every send.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/pipeline.h"
#include "storage/migrator.h"
#include "support/mock_graph.h"
#include "support/test_env.h"
#include "tenancy/tenant_file.h"
#include "tenancy/tenant_import.h"

namespace baraza::test {

using nlohmann::json;

inline constexpr long long kStart = 1795427998000LL;  // 2026-11-23 09:59:58 UTC
inline constexpr long long kLeaseMs = 10000;

inline std::string tenantYaml(const std::string& slug, const std::string& number,
                              const std::string& settings) {
  return "slug: " + slug + "\nname: " + slug + "\nchannels:\n  - phone_number_id: \"" + number +
         "\"\n    access_token: EAAG-token-" + slug + "\nsettings:\n" + settings;
}

class InProcessPipeline : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    sealer_ = std::make_unique<Sealer>(KeyRing::loadOrCreate(dir_.file("master.key")));
    addTenant(tenantYaml("duka", "5551000", dukaSettings()));
    // Both would call an AI provider; soko has AI off, so its chain never waits.
    std::string ai = "  strategies: ai_chain,static_reply\n  static_reply: \"Later.\"\n";
    addTenant(tenantYaml("soko", "5552000", ai + "  ai_responses: false\n"));
    addTenant(tenantYaml("mboga", "5553000", ai));
    directory_ = std::make_unique<TenantDirectory>(*db_);
    directory_->loadAll();
    std::string dir = std::string(BARAZA_TEST_BINARY_DIR) + "/plugins/";
    plugins_.load(dir + "static_reply.so");
    plugins_.load(dir + "ai_chain.so");
    plugins_.load(dir + "whatsapp.so");
    graph_.respond([this](const test::RecordedRequest&) {
      return test::MockAnswer{
          200, R"({"messages":[{"id":"wamid.OUT-)" + std::to_string(++graph_sends_) + R"("}]})"};
    });
    // A provider that refuses at once: a waiting answer falls through to static_reply.
    plugins_.createAll(loadEngineConfig(
        dir_.write("c.yaml", "channels:\n  whatsapp:\n    graph_base_url: " + graph_.baseUrl() +
                                 "\n    apps:\n      - name: default\n        app_secret: s3cret\n"
                                 "strategies:\n  ai_chain:\n    providers:\n      - name: openai\n"
                                 "        base_url: http://127.0.0.1:1/v1\n        model: m\n"
                                 "        api_key: sk-test-shared\n        timeout_ms: 500\n")));
    Inbox::Options inbox;
    inbox.intake.late_limit = std::chrono::milliseconds(0);  // the suites' clock jumps by hours
    inbox_ = std::make_unique<Inbox>(
        *db_, [this] { return now_.load(); }, inbox);
    usePipeline(PipelineConfig{});
  }
  // The settings of duka, the tenant of number 5551000 (a suite may add its own).
  virtual std::string dukaSettings() const {
    return "  strategies: static_reply\n  static_reply: \"Asante!\"\n";
  }
  void usePipeline(PipelineConfig config) {
    config.lock_ms = kLeaseMs;
    pipeline_.reset();
    pipeline_ = std::make_unique<Pipeline>(*db_, *inbox_, *sealer_, *directory_, plugins_, scripts_,
                                           config, [this] { return now_.load(); });
  }
  // Polls `done` for up to ten seconds (the pipeline's own threads do the work).
  static bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 200; ++i) {
      if (done())
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }
  void addTenant(const std::string& yaml) {
    importTenant(*db_, *sealer_, readTenantFile(dir_.write(newUuid() + ".yaml", yaml)), "test");
  }
  // Queues one text message; returns its wamid.
  std::string receive(const std::string& from, const std::string& text,
                      const std::string& number = "5551000") {
    std::string id = "wamid." + newUuid();
    json event{{"channel", "whatsapp"},
               {"kind", "message"},
               {"account", {{"phone_number_id", number}}},
               {"id", id},
               {"dedupe_key", "message:" + id},
               {"timestamp", std::to_string(now_ / 1000)},
               {"from", {{"wa_id", from}}},
               {"type", "text"},
               {"text", text}};
    size_t count = 0;
    EXPECT_EQ(inbox_->accept("whatsapp", event.dump(), count), 0);
    return id;
  }
  long long count(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  }
  std::string text(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    std::string s;
    soci::indicator ind;
    tx.sql() << sql, soci::into(s, ind);
    return ind == soci::i_ok ? s : "";
  }
  void exec(const std::string& script) {
    auto lease = db_->lease();
    Database::execScript(**lease, GetParam(), script);
  }
  // Rows of `table` for which `when` (SQL over NEW) holds cannot be inserted, as a constraint or
  // a full disk would refuse them; allowInserts() lifts it.
  void refuseInserts(const std::string& table, const std::string& when) {
    std::string name = "refuse_" + table;
    if (GetParam() == Dialect::kSqlite) {
      exec("CREATE TRIGGER " + name + " BEFORE INSERT ON " + table + " WHEN " + when +
           " BEGIN SELECT RAISE(ABORT, '" + name + "'); END;");
    } else {
      exec("CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF " +
           when + " THEN RAISE EXCEPTION '" + name + "'; END IF; RETURN NEW; END $$;\n" +
           "CREATE TRIGGER " + name + " BEFORE INSERT ON " + table +
           " FOR EACH ROW EXECUTE FUNCTION " + name + "();");
    }
  }
  void allowInserts(const std::string& table) {
    exec("DROP TRIGGER refuse_" + table +
         (GetParam() == Dialect::kSqlite ? std::string() : " ON " + table));
  }
  static double metric(const std::string& name) {
    return MetricsRegistry::global().value(name, {});
  }

  test::TempDir dir_;
  test::MockGraph graph_;
  std::atomic<int> graph_sends_{0};
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Sealer> sealer_;
  std::unique_ptr<TenantDirectory> directory_;
  PluginHost plugins_;
  ScriptHost scripts_{ScriptingConfig{}};
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<long long> now_ = kStart;
};

}  // namespace baraza::test
