// The pipeline in process, one batch at a time (no threads): a message that fails alone in its
// batch, the order of one contact's messages, a dead process's lease taken back, and a chain
// that will not wait answering in one transaction.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <thread>

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/pipeline.h"
#include "pipeline/usage_ledger.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_file.h"
#include "tenancy/tenant_import.h"

namespace baraza {
namespace {

using nlohmann::json;

constexpr long long kStart = 1795427998000LL;  // 2026-11-23 09:59:58 UTC
constexpr long long kLeaseMs = 10000;

std::string tenantYaml(const std::string& slug, const std::string& number,
                       const std::string& settings) {
  return "slug: " + slug + "\nname: " + slug + "\nchannels:\n  - phone_number_id: \"" + number +
         "\"\n    access_token: EAAG-token-" + slug + "\nsettings:\n" + settings;
}

class PipelineBatch : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    sealer_ = std::make_unique<Sealer>(KeyRing::loadOrCreate(dir_.file("master.key")));
    addTenant(
        tenantYaml("duka", "5551000", "  strategies: static_reply\n  static_reply: \"Asante!\"\n"));
    // Both would call an AI provider; soko has AI off, so its chain never waits.
    std::string ai = "  strategies: ai_chain,static_reply\n  static_reply: \"Later.\"\n";
    addTenant(tenantYaml("soko", "5552000", ai + "  ai_responses: false\n"));
    addTenant(tenantYaml("mboga", "5553000", ai));
    directory_ = std::make_unique<TenantDirectory>(*db_);
    directory_->loadAll();
    std::string dir = std::string(BARAZA_TEST_BINARY_DIR) + "/plugins/";
    plugins_.load(dir + "static_reply.so");
    plugins_.load(dir + "ai_chain.so");
    // A provider that refuses at once: a waiting answer falls through to static_reply.
    plugins_.createAll(loadEngineConfig(
        dir_.write("c.yaml",
                   "strategies:\n  ai_chain:\n    providers:\n      - name: openai\n"
                   "        base_url: http://127.0.0.1:1/v1\n        model: m\n"
                   "        api_key: sk-test-shared\n        timeout_ms: 500\n")));
    inbox_ = std::make_unique<Inbox>(*db_, [this] { return now_; });
    usePipeline(PipelineConfig{});
  }
  void usePipeline(PipelineConfig config) {
    config.lock_ms = kLeaseMs;
    pipeline_.reset();
    pipeline_ = std::make_unique<Pipeline>(*db_, *inbox_, *sealer_, *directory_, plugins_, scripts_,
                                           config, [this] { return now_; });
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
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Sealer> sealer_;
  std::unique_ptr<TenantDirectory> directory_;
  PluginHost plugins_;
  ScriptHost scripts_{ScriptingConfig{}};
  std::unique_ptr<Inbox> inbox_;
  std::unique_ptr<Pipeline> pipeline_;
  long long now_ = kStart;
};

TEST_P(PipelineBatch, OneBadMessageFailsAloneAndItsNeighboursAreAnswered) {
  refuseInserts("messages", "NEW.body = 'boom'");
  for (int i = 1; i <= 3; ++i)
    receive("25471100000" + std::to_string(i), "habari");
  std::string bad = receive("254711000009", "boom");
  std::string after_bad = receive("254711000009", "habari tena");  // waits behind it
  double splits = metric("baraza_inbox_batch_splits_total");

  EXPECT_EQ(pipeline_->processDue(16), 4);  // one per contact: the fifth waits for its turn
  EXPECT_EQ(metric("baraza_inbox_batch_splits_total"), splits + 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 3);
  // The bad one is retried later, alone, with its error; its contact's next message waits.
  EXPECT_EQ(text("SELECT status FROM inbox_events WHERE dedupe_key = 'message:" + bad + "'"),
            "pending");
  EXPECT_EQ(count("SELECT attempts FROM inbox_events WHERE dedupe_key = 'message:" + bad + "'"), 1);
  EXPECT_NE(text("SELECT last_error FROM inbox_events WHERE dedupe_key = 'message:" + bad + "'")
                .find("refuse_messages"),
            std::string::npos);
  EXPECT_EQ(
      count("SELECT attempts FROM inbox_events WHERE dedupe_key = 'message:" + after_bad + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE body = 'habari tena'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE body = 'boom'"), 0);

  // Fixed, the retry answers it, and then its contact's next message in order.
  allowInserts("messages");
  now_ += 60000;
  EXPECT_EQ(pipeline_->processDue(16), 1);
  EXPECT_EQ(pipeline_->processDue(16), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events WHERE status = 'done'"), 5);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'"), 5);
  EXPECT_LT(text("SELECT created_at FROM messages WHERE body = 'boom'"),
            text("SELECT created_at FROM messages WHERE body = 'habari tena'"));
}

TEST_P(PipelineBatch, ADeadProcesssLeaseIsTakenBackAndCounted) {
  receive("254711000001", "habari");
  // Another process claimed it and died.
  InboxStore dead(*db_, "dead-process");
  ASSERT_EQ(dead.claim(8, now_, now_ + kLeaseMs).size(), 1u);
  EXPECT_EQ(pipeline_->processDue(8), 0);

  MessageClock clock([this] { return now_; });
  InboxStore inbox(*db_, pipeline_->owner());
  OutboxStore outbox(*db_, pipeline_->owner());
  LeaseKeeper keeper(inbox, outbox, clock, kLeaseMs);
  double reclaims = metric("baraza_inbox_reclaims_total");
  now_ += kLeaseMs - 1000;
  EXPECT_EQ(keeper.tick(), 0);  // not yet expired
  now_ += 1001;                 // the keeper looks once a second
  EXPECT_EQ(keeper.tick(), 1);
  EXPECT_EQ(metric("baraza_inbox_reclaims_total"), reclaims + 1);
  EXPECT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages"), 1);
  // The dead process cannot finish what is no longer its own.
  TenantScope tx(*db_, TenantScope::kAllTenants, true);
  long long id = count("SELECT id FROM inbox_events");
  EXPECT_TRUE(dead.finish(tx, {{id, "done", ""}}, now_).empty());
}

TEST_P(PipelineBatch, AChainThatWillNotWaitAnswersInOneTransaction) {
  double waits = metric("baraza_strategy_waits_total");
  receive("254711000001", "bei gani?", "5552000");  // soko: AI off
  EXPECT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(metric("baraza_strategy_waits_total"), waits);
  EXPECT_EQ(text("SELECT body FROM messages WHERE direction = 'outbound'"), "Later.");

  // mboga has AI on: its chain waits (and, the provider refusing, falls through).
  receive("254711000002", "bei gani?", "5553000");
  EXPECT_EQ(pipeline_->processDue(8), 1);
  EXPECT_EQ(metric("baraza_strategy_waits_total"), waits + 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'"), 2);
}

// A fold the database refuses is logged and counted; the deltas wait, still counted by readers,
// and are folded once the database takes them.
TEST_P(PipelineBatch, AUsageFoldThatFailsIsCountedAndLosesNothing) {
  receive("254711000001", "habari");
  ASSERT_EQ(pipeline_->processDue(8), 1);
  ASSERT_GT(count("SELECT COUNT(*) FROM usage_deltas"), 0);
  refuseInserts("usage_counters", "1 = 1");
  double failures = metric("baraza_usage_fold_failures_total");
  pipeline_->start();  // the upkeep thread folds at once
  for (int i = 0; i < 100 && metric("baraza_usage_fold_failures_total") == failures; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_usage_fold_failures_total"), failures + 1);
  std::string day = periodKey('d', now_), month = periodKey('m', now_);
  std::string tenant = text("SELECT id FROM tenants WHERE slug = 'duka'");
  auto inbound = [&](const std::string& period) {
    TenantScope tx(*db_, tenant);
    return usageValue(tx, tenant, "tenant", period, "inbound");
  };
  EXPECT_EQ(inbound(day), 1);
  EXPECT_EQ(inbound(month), 1);
  allowInserts("usage_counters");
  foldUsage(*db_);
  EXPECT_EQ(count("SELECT COUNT(*) FROM usage_deltas"), 0);
  EXPECT_EQ(inbound(day), 1);
  EXPECT_EQ(inbound(month), 1);
}

// After a batch that emptied the queue its worker pauses (pipeline.batch_linger_ms), so the
// messages that arrive meanwhile are claimed together: one transaction for them, not one each.
TEST_P(PipelineBatch, AWorkerPausesAfterAPartialBatchSoItsNextIsFuller) {
  PipelineConfig config;
  config.workers = 1;
  config.senders = 0;
  config.batch_linger_ms = 1000;
  usePipeline(config);
  double claims = metric("baraza_inbox_claims_total");
  double claimed = metric("baraza_inbox_claimed_events_total");
  auto replies = [&] {
    return count("SELECT COUNT(*) FROM messages WHERE direction = 'outbound'");
  };
  pipeline_->start();
  receive("254711000001", "habari");
  ASSERT_TRUE(eventually([&] { return replies() == 1; }));
  for (int i = 2; i <= 6; ++i) {  // one by one: an idle worker would take each as it came
    receive("25471100000" + std::to_string(i), "habari");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(eventually([&] { return replies() == 6; }));
  pipeline_->stop();
  EXPECT_EQ(metric("baraza_inbox_claims_total"), claims + 2)
      << "the first message alone, then the five that came while its worker paused";
  EXPECT_EQ(metric("baraza_inbox_claimed_events_total"), claimed + 6);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, PipelineBatch,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
