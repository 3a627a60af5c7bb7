// The pipeline itself with an injected clock: a limit of one reply an hour lets the first
// message of each UTC hour through and holds the rest, and the limit reply goes once per
// contact and hour. No server, no sender: events in, outbound rows counted.
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "pipeline/pipeline.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_file.h"
#include "tenancy/tenant_import.h"

namespace baraza {
namespace {

using nlohmann::json;

// 2026-11-23 09:59:58 UTC
constexpr long long kNineFiftyNine = 1795427998000LL;

class LimitsClock : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    sealer_ = std::make_unique<Sealer>(KeyRing::loadOrCreate(dir_.file("master.key")));
    std::string file =
        dir_.write("duka.yaml",
                   "slug: duka\nname: Duka\nchannels:\n  - phone_number_id: \"5551000\"\n"
                   "    access_token: EAAG-token\nsettings:\n  strategies: static_reply\n"
                   "  static_reply: \"Asante!\"\n  max_messages_per_hour: 1\n"
                   "  limit_reply: \"Busy this hour.\"\n");
    importTenant(*db_, *sealer_, readTenantFile(file), "test");
    directory_ = std::make_unique<TenantDirectory>(*db_);
    directory_->loadAll();
    plugins_.load(std::string(BARAZA_TEST_BINARY_DIR) + "/plugins/static_reply.so");
    plugins_.createAll(loadEngineConfig(dir_.write("c.yaml", "")));
    inbox_ = std::make_unique<Inbox>(*db_, [this] { return now_; });
    pipeline_ = std::make_unique<Pipeline>(*db_, *inbox_, *sealer_, *directory_, plugins_, scripts_,
                                           PipelineConfig{}, [this] { return now_; });
  }
  void receive(const std::string& from) {
    std::string id = "wamid." + newUuid();
    json event{{"channel", "whatsapp"},
               {"kind", "message"},
               {"account", {{"phone_number_id", "5551000"}}},
               {"id", id},
               {"dedupe_key", "message:" + id},
               {"timestamp", std::to_string(now_ / 1000)},
               {"from", {{"wa_id", from}}},
               {"type", "text"},
               {"text", "habari"}};
    size_t count = 0;
    ASSERT_EQ(inbox_->accept("whatsapp", event.dump(), count), 0);
    ASSERT_EQ(pipeline_->processDue(8), 1);
  }
  std::vector<std::string> replies() {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    std::vector<std::string> out;
    soci::rowset<std::string> rows =
        (tx.sql().prepare << "SELECT COALESCE(body, '') FROM messages WHERE direction = "
                             "'outbound' ORDER BY created_at");
    for (const auto& r : rows)
      out.push_back(r);
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Sealer> sealer_;
  std::unique_ptr<TenantDirectory> directory_;
  PluginHost plugins_;
  ScriptHost scripts_{ScriptingConfig{}};
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Pipeline> pipeline_;
  long long now_ = kNineFiftyNine;
};

TEST_P(LimitsClock, TheHourRollsOverByThePipelinesClock) {
  receive("254711000001");  // 09:59:58: the hour's one reply
  receive("254711000002");  // over the limit: the limit reply, once
  receive("254711000002");  // and then silence
  EXPECT_EQ(replies(), (std::vector<std::string>{"Asante!", "Busy this hour."}));
  now_ += 2500;  // 10:00:00.5: a new hour
  receive("254711000002");
  receive("254711000003");
  EXPECT_EQ(replies(),
            (std::vector<std::string>{"Asante!", "Busy this hour.", "Asante!", "Busy this hour."}));
}

TEST_P(LimitsClock, ARetryReusesTheFirstAttemptsReservation) {
  receive("254711000001");
  // As if the process died after the first of two transactions (around an AI call): the
  // records and the reservation are committed, the reply is not.
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "DELETE FROM outbox_messages";
    tx.sql() << "DELETE FROM messages WHERE direction = 'outbound'";
    tx.sql() << "UPDATE inbox_events SET status = 'pending'";
    tx.sql() << "INSERT INTO inbox_work (event_id, order_key, next_attempt_ms) SELECT id, "
                "order_key, 0 FROM inbox_events";
    tx.commit();
  }
  ASSERT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(replies(), (std::vector<std::string>{"Asante!"}));  // not "Busy this hour."
  TenantScope tx(*db_, TenantScope::kAllTenants);
  long long used = 0;
  tx.sql() << "SELECT value FROM usage_counters WHERE scope = 'tenant' AND name = 'replies' AND "
              "period LIKE 'h:%'",
      soci::into(used);
  EXPECT_EQ(used, 1);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, LimitsClock,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
