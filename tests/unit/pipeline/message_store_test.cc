// The message store: a message's status only moves forward, also when two of its
// statuses are applied by two transactions at once (PostgreSQL, where that can happen).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "core/uuid.h"
#include "pipeline/message_store.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

// A tenant with one number, one contact and one conversation between them.
struct Conversation {
  std::string tenant = newUuid(), account = newUuid(), contact = newUuid(), id = newUuid();
  void insert(TenantScope& tx, const std::string& slug) const {
    auto& sql = tx.sql();
    sql << "INSERT INTO tenants (id, slug, name) VALUES (:i, :s, :n)", soci::use(tenant),
        soci::use(slug), soci::use(slug);
    sql << "INSERT INTO channel_accounts (tenant_id, id, channel_type, phone_number_id, "
           "access_token_sealed) VALUES (:t, :i, 'whatsapp', '5550001', 'x')",
        soci::use(tenant), soci::use(account);
    sql << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id) VALUES (:t, :i, "
           "'whatsapp', '254700000000')",
        soci::use(tenant), soci::use(contact);
    sql << "INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) VALUES "
           "(:t, :i, :c, :a)",
        soci::use(tenant), soci::use(id), soci::use(contact), soci::use(account);
  }
};

TEST(MessageStore, ConcurrentStatusesNeverMoveAMessageBackwards) {
  test::DialectDatabase target(Dialect::kPostgresql);
  Database db(target.url(), 4, std::chrono::milliseconds(5000));
  Migrator(db, embeddedMigrations(Dialect::kPostgresql)).apply();
  Conversation c;
  const std::string &tenant = c.tenant, &contact = c.contact, &conv = c.id;
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    c.insert(tx, "race");
    auto& sql = tx.sql();
    std::string message = newUuid();
    sql << "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
           "message_type, status, channel_message_id) VALUES (:t, :i, :cv, :ct, 'outbound', "
           "'text', 'sent', 'wamid.RACE')",
        soci::use(tenant), soci::use(message), soci::use(conv), soci::use(contact);
    tx.commit();
  }
  // `read` holds the row while `delivered` has already read it as `sent`.
  TenantScope read_tx(db, tenant, true);
  TenantScope delivered_tx(db, tenant, true);
  std::string seen;
  delivered_tx.sql() << "SELECT status FROM messages WHERE channel_message_id = 'wamid.RACE'",
      soci::into(seen);
  ASSERT_EQ(seen, "sent");
  const std::string at = "2026-11-23T09:00:00Z";
  ASSERT_TRUE(message_store::applyStatus(read_tx, tenant, "wamid.RACE", "read", "{}", at));
  std::thread late([&] {
    message_store::applyStatus(delivered_tx, tenant, "wamid.RACE", "delivered", "{}", at);
    delivered_tx.commit();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // delivered waits on the lock
  read_tx.commit();
  late.join();
  TenantScope check(db, tenant);
  std::string final_status;
  check.sql() << "SELECT status FROM messages WHERE channel_message_id = 'wamid.RACE'",
      soci::into(final_status);
  EXPECT_EQ(final_status, "read");
}

// A failed status keeps Meta's error, read from the stored status event only then; a failed
// message stays failed.
TEST(MessageStore, AFailedStatusRecordsItsErrorAndIsFinal) {
  for (Dialect dialect : {Dialect::kSqlite, Dialect::kPostgresql}) {
    test::DialectDatabase target(dialect);
    Database db(target.url(), 2, std::chrono::milliseconds(5000));
    Migrator(db, embeddedMigrations(dialect)).apply();
    Conversation c;
    TenantScope tx(db, TenantScope::kAllTenants, true);
    c.insert(tx, "fails");
    std::string message = newUuid();
    tx.sql() << "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
                "message_type, status, channel_message_id) VALUES (:t, :i, :cv, :ct, "
                "'outbound', 'text', 'sent', 'wamid.F')",
        soci::use(c.tenant), soci::use(message), soci::use(c.id), soci::use(c.contact);
    const std::string at = "2026-11-23T09:00:00Z";
    EXPECT_TRUE(message_store::applyStatus(tx, c.tenant, "wamid.F", "delivered", "not json", at))
        << "only a failure reads the event";
    std::string failed =
        R"({"kind":"status","status":"failed","errors":[{"code":131026,"title":"Message undeliverable"}]})";
    EXPECT_TRUE(message_store::applyStatus(tx, c.tenant, "wamid.F", "failed", failed, at));
    EXPECT_TRUE(message_store::applyStatus(tx, c.tenant, "wamid.F", "read", "{}", at));
    EXPECT_FALSE(message_store::applyStatus(tx, c.tenant, "wamid.OTHER", "read", "{}", at));
    std::string status, code, text;
    tx.sql() << "SELECT status, error_code, error_message FROM messages WHERE "
                "channel_message_id = 'wamid.F'",
        soci::into(status), soci::into(code), soci::into(text);
    EXPECT_EQ(status, "failed") << dialectName(dialect);
    EXPECT_EQ(code, "131026");
    EXPECT_EQ(text, "Message undeliverable");
  }
}

// The unanswered streak escalation reads: a fallback reply counts for the message it answered,
// a message left with no reply counts when marked, a real reply ends the run, and a message
// both marked and answered by a fallback (as rows were written before 2026-12) counts once.
class UnansweredStreak : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    conversation_.insert(tx, "streak");
    tx.commit();
  }
  // An inbound message, `unanswered` or not; returns its id.
  std::string in(bool unanswered) { return add("inbound", unanswered, false, ""); }
  // A reply to `to`, a fallback or a real answer.
  void reply(const std::string& to, bool fallback) { add("outbound", false, fallback, to); }
  int streak(const std::string& current, int cap = 10) {
    TenantScope tx(*db_, conversation_.tenant);
    return message_store::unansweredStreak(tx, conversation_.tenant, conversation_.id, current,
                                           cap);
  }

 private:
  std::string add(const std::string& direction, bool unanswered, bool fallback,
                  const std::string& to) {
    std::string id = newUuid();
    char stamp[40];
    std::snprintf(stamp, sizeof stamp, "2026-11-23T09:00:%02d.000000Z", ++second_);
    std::string at = stamp;
    int u = unanswered ? 1 : 0, f = fallback ? 1 : 0;
    soci::indicator reply_ind = to.empty() ? soci::i_null : soci::i_ok;
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    std::string sql =
        GetParam() == Dialect::kSqlite
            ? "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
              "message_type, unanswered, fallback, in_reply_to, created_at) VALUES (:t, :i, :cv, "
              ":ct, :d, 'text', :u, :f, :r, :at)"
            : "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
              "message_type, unanswered, fallback, in_reply_to, created_at) VALUES (:t, :i, :cv, "
              ":ct, :d, 'text', CAST(:u AS INTEGER) = 1, CAST(:f AS INTEGER) = 1, CAST(:r AS "
              "UUID), CAST(:at AS TIMESTAMPTZ))";
    tx.sql() << sql, soci::use(conversation_.tenant), soci::use(id), soci::use(conversation_.id),
        soci::use(conversation_.contact), soci::use(direction), soci::use(u), soci::use(f),
        soci::use(to, reply_ind), soci::use(at);
    tx.commit();
    return id;
  }

  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  Conversation conversation_;
  int second_ = 0;
};

TEST_P(UnansweredStreak, FallbackRepliesCountForTheirMessagesAndARealAnswerEndsTheRun) {
  std::string answered = in(false);
  reply(answered, false);
  reply(in(false), true);      // answered by a fallback: 1
  in(true);                    // no reply at all: 2
  in(false);                   // the bot chose not to answer (a person's turn): skipped
  std::string old = in(true);  // marked and answered by a fallback, as before 2026-12: 3
  reply(old, true);
  std::string current = in(false);
  EXPECT_EQ(streak(current), 3);
  EXPECT_EQ(streak(current, 2), 2) << "capped";
  reply(in(false), false);  // a real answer
  EXPECT_EQ(streak(in(false)), 0);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, UnansweredStreak,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
