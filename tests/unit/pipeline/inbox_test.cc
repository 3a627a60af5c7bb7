#include "pipeline/inbox.h"
#include "pipeline/inbox_store.h"
#include "pipeline/intake_events.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <tuple>

#include "core/metrics.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

nlohmann::json message(const std::string& wamid, const std::string& from) {
  return {{"channel", "whatsapp"},
          {"kind", "message"},
          {"account", {{"phone_number_id", "119"}}},
          {"id", wamid},
          {"dedupe_key", "message:" + wamid},
          {"from", {{"wa_id", from}}}};
}

class InboxCommit : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
  }
  long long count(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
};

TEST_P(InboxCommit, ConcurrentRequestsShareTransactionsAndDuplicatesAddNothing) {
  Inbox::Options options;
  options.linger_us = 2000;
  options.max_batch = 2000;
  Inbox inbox(*db_, systemNowMs, options);
  auto& metrics = MetricsRegistry::global();
  double commits = metrics.value("baraza_inbox_commits_total", {});
  uint64_t timed = metrics.histogramCount("baraza_inbox_commit_seconds", {});
  std::vector<std::thread> senders;
  std::atomic<int> ok{0};
  for (int t = 0; t < 16; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string problem;
        // Every message twice: once here, once by the next thread.
        auto a = inboxEventFrom(message("w" + std::to_string(t * 10 + i), "c" + std::to_string(t)),
                                problem);
        auto b = inboxEventFrom(
            message("w" + std::to_string(((t + 1) % 16) * 10 + i), "c" + std::to_string(t)),
            problem);
        ok += inbox.store({*a, *b});
      }
    });
  }
  for (auto& s : senders)
    s.join();
  EXPECT_EQ(ok, 160);
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_events"), 160) << "320 stored, 160 distinct";
  EXPECT_EQ(count("SELECT COUNT(*) FROM inbox_work WHERE status = 'pending'"), 160)
      << "each stored event queued once";
  double used = metrics.value("baraza_inbox_commits_total", {}) - commits;
  EXPECT_LT(used, 160) << "requests waiting together shared a transaction";
  EXPECT_EQ(metrics.histogramCount("baraza_inbox_commit_seconds", {}) - timed, used)
      << "each commit timed";
}

TEST_P(InboxCommit, AFailedCommitRefusesTheWholeRequest) {
  Inbox inbox(*db_, systemNowMs);
  {
    Database owner(target_->adminUrl(), 1, std::chrono::milliseconds(2000));
    TenantScope tx(owner, TenantScope::kAllTenants, true);
    tx.sql() << "ALTER TABLE inbox_events RENAME TO inbox_events_gone";
    tx.commit();
  }
  std::string problem;
  auto e = inboxEventFrom(message("w1", "c1"), problem);
  EXPECT_FALSE(inbox.store({*e})) << "the webhook gets a 503 and Meta delivers again";
}

// Migration 0012 moves the queue into inbox_work: unfinished events keep their place and their
// attempts, a lease held across the upgrade is returned, finished ones stay out of the queue.
TEST_P(InboxCommit, TheMigrationToAQueueTableKeepsUnfinishedEvents) {
  auto fresh = std::make_unique<test::DialectDatabase>(GetParam());
  Database db(fresh->url(), 2, std::chrono::milliseconds(10000));
  test::migrateThrough(db, GetParam(), 11);
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    // (dedupe key, status, attempts, lease owner)
    for (auto [key, status, attempts, owner] : {std::tuple{"message:a", "pending", 2, ""},
                                                {"message:b", "processing", 1, "gone"},
                                                {"message:c", "done", 1, ""},
                                                {"message:d", "dead", 5, ""}}) {
      std::string k = key, st = status, o = owner, payload = message(key + 8, "c").dump();
      tx.sql() << "INSERT INTO inbox_events (channel_type, account_id, dedupe_key, kind, "
                  "order_key, payload, status, attempts, next_attempt_ms, locked_until_ms, "
                  "lease_owner, received_ms) VALUES ('whatsapp', '119', :k, 'message', :o, :p, "
                  ":s, :a, 0, 99, NULLIF(:w, ''), 1)",
          soci::use(k), soci::use(k), soci::use(payload), soci::use(st), soci::use(attempts),
          soci::use(o);
    }
    tx.commit();
  }
  Migrator(db, embeddedMigrations(GetParam())).apply();
  auto number = [&](const std::string& sql) {
    TenantScope tx(db, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  };
  EXPECT_EQ(number("SELECT COUNT(*) FROM inbox_work WHERE status = 'pending'"), 2);
  EXPECT_EQ(number("SELECT COUNT(*) FROM inbox_events WHERE status = 'pending'"), 2);
  EXPECT_EQ(number("SELECT COUNT(*) FROM inbox_events WHERE status IN ('done', 'dead')"), 2);

  InboxStore store(db, "after-upgrade");
  auto claimed = store.claim(10, 1000, 60000);
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].attempts, 3) << "message:a was tried twice before";
  EXPECT_EQ(claimed[1].attempts, 2) << "message:b once, its lease returned";
  EXPECT_EQ(nlohmann::json::parse(claimed[1].payload)["id"], "b");
  TenantScope tx(db, TenantScope::kAllTenants, true);
  auto finished = store.finish(tx, {{claimed[0].inbox_id, "done", "t"}}, 2000);
  tx.commit();
  EXPECT_EQ(finished, std::vector<long long>{claimed[0].inbox_id});
  EXPECT_EQ(number("SELECT attempts FROM inbox_events WHERE dedupe_key = 'message:a' AND "
                   "status = 'done'"),
            3);
  EXPECT_EQ(number("SELECT COUNT(*) FROM inbox_work"), 1) << "the finished event left the queue";
}

TEST(InboxEvent, NeedsItsRoutingFieldsAndOrdersByContact) {
  std::string problem;
  EXPECT_FALSE(inboxEventFrom(nlohmann::json::array(), problem));
  EXPECT_FALSE(inboxEventFrom({{"channel", "whatsapp"}, {"kind", "message"}}, problem));
  EXPECT_NE(problem.find("phone_number_id"), std::string::npos);
  auto a = inboxEventFrom(message("w1", "alice"), problem);
  auto b = inboxEventFrom(message("w2", "alice"), problem);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->order_key, b->order_key);
  nlohmann::json error{{"channel", "whatsapp"},
                       {"kind", "error"},
                       {"account", {{"phone_number_id", "119"}}},
                       {"errors", {1}}};
  auto e = inboxEventFrom(error, problem);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->dedupe_key.rfind("error:sha256:", 0), 0u) << "errors carry no id: their hash";
}

TEST(InboxEvent, AChannelsBatchIsReadEventByEvent) {
  nlohmann::json batch = nlohmann::json::array(
      {message("w1", "alice"), {{"channel", "whatsapp"}, {"kind", "message"}}, 42});
  batch[0]["text"] = "Habari, ni bei gani? \u00e9\u20ac";
  batch[0]["from"]["user_id"] = "US.13491208655302741918";
  auto events = inboxEventsFrom(batch.dump());
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  ASSERT_TRUE((*events)[0].event);
  const InboxEvent& e = *(*events)[0].event;
  EXPECT_EQ(e.channel_type, "whatsapp");
  EXPECT_EQ(e.account_id, "119");
  EXPECT_EQ(e.dedupe_key, "message:w1");
  EXPECT_EQ(e.order_key, "whatsapp:119:US.13491208655302741918") << "the business-scoped id first";
  EXPECT_EQ(nlohmann::json::parse(e.payload), batch[0]) << "the payload is the event as sent";
  EXPECT_FALSE((*events)[1].event);
  EXPECT_NE((*events)[1].problem.find("phone_number_id"), std::string::npos);
  EXPECT_FALSE((*events)[2].event);
  EXPECT_EQ((*events)[2].problem, "an event must be a JSON object");

  auto one = inboxEventsFrom(message("w2", "bob").dump());  // one event, not in an array
  ASSERT_TRUE(one && one->size() == 1 && one->front().event);
  EXPECT_EQ(one->front().event->order_key, "whatsapp:119:bob");
  // A status has no order to keep: its own key.
  auto status = inboxEventsFrom(
      R"({"channel":"whatsapp","kind":"status","account":{"phone_number_id":"119"},"dedupe_key":"status:w1:read"})");
  ASSERT_TRUE(status && status->front().event);
  EXPECT_EQ(status->front().event->order_key, "whatsapp:119:status:w1:read");

  EXPECT_FALSE(inboxEventsFrom("42"));
  EXPECT_FALSE(inboxEventsFrom("[{\"channel\": "));
  EXPECT_FALSE(inboxEventsFrom("{\"channel\": \"\xff\"}")) << "not UTF-8";
  // Fields of the wrong type read as missing, not as a failure.
  auto odd = inboxEventsFrom(
      R"({"channel":"whatsapp","kind":"message","account":{"phone_number_id":119}})");
  ASSERT_TRUE(odd);
  EXPECT_FALSE(odd->front().event);
  // Hostile depth is refused without recursion; a channel's shallow nesting is kept.
  auto nestedIn = [](size_t depth) {
    std::string text = message("w3", "carol").dump();
    text.insert(text.size() - 1, ",\"x\":" + std::string(depth, '[') + std::string(depth, ']'));
    return text;
  };
  auto deep = inboxEventsFrom(nestedIn(100000));
  ASSERT_TRUE(deep);
  EXPECT_FALSE(deep->front().event);
  EXPECT_NE(deep->front().problem.find("deeper than 64"), std::string::npos);
  auto shallow = inboxEventsFrom(nestedIn(63));
  ASSERT_TRUE(shallow && shallow->front().event);
  EXPECT_EQ(shallow->front().event->payload, nestedIn(63));
  EXPECT_FALSE(inboxEventsFrom(nestedIn(64))->front().event);  // 65 levels, the event included

  // A member named twice would be read one way here and another by the worker's tree.
  std::string twice = message("w4", "dan").dump();
  twice.insert(1, R"("kind":"status",)");
  auto dup = inboxEventsFrom(twice);
  ASSERT_TRUE(dup);
  EXPECT_FALSE(dup->front().event);
  EXPECT_NE(dup->front().problem.find("twice"), std::string::npos);
  std::string nested_twice = message("w5", "eve").dump();
  nested_twice.replace(nested_twice.find(R"("from":{)"), 8, R"("from":{"wa_id":"x",)");
  auto dup_inside = inboxEventsFrom(nested_twice);
  ASSERT_TRUE(dup_inside);
  EXPECT_FALSE(dup_inside->front().event);
  // What cannot be written back as JSON is refused, not stored cut short: a number too large
  // for a double, a lone surrogate.
  for (std::string odd_value : {"9e308", "-9e308", R"("\udc00")", R"("a\ud800")"}) {
    std::string text = message("w6", "fay").dump();
    text.insert(text.size() - 1, R"(,"v":)" + odd_value);
    auto r = inboxEventsFrom(text);
    bool stored = r && r->front().event;
    EXPECT_FALSE(stored) << odd_value;
  }
}

INSTANTIATE_TEST_SUITE_P(BothDialects, InboxCommit,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
