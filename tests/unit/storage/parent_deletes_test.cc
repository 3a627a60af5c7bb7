// Deleting a contact, a conversation or a tenant takes the rows that belong to it: on SQLite by
// foreign keys, on PostgreSQL (which checks no key on the message path's rows) by triggers.
#include <gtest/gtest.h>

#include "security/key_ring.h"
#include "security/sealer.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

constexpr const char* kContactA = "00000000-0000-4000-8000-00000000000a";
constexpr const char* kContactB = "00000000-0000-4000-8000-00000000000b";
constexpr const char* kConversationA = "00000000-0000-4000-8000-0000000000ca";
constexpr const char* kConversationB = "00000000-0000-4000-8000-0000000000cb";

class ParentDeletes : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(2000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    Sealer sealer(KeyRing::loadOrCreate(dir_.file("master.key")));
    test::importExampleTenants(*db_, sealer, {"kassangas", "mama-mboga"});
    tenant_ = text("SELECT CAST(id AS TEXT) FROM tenants WHERE slug = 'kassangas'");
    other_ = text("SELECT CAST(id AS TEXT) FROM tenants WHERE slug = 'mama-mboga'");
    // Two contacts of one tenant, a conversation each with two messages and a reply queued;
    // and the same for the other tenant, which no delete may touch.
    for (const auto& t : {tenant_, other_}) {
      addConversation(t, kContactA, kConversationA, "111");
      addConversation(t, kContactB, kConversationB, "222");
    }
  }

  void addConversation(const std::string& tenant, const std::string& contact,
                       const std::string& conversation, const std::string& wa_id) {
    std::string account = text("SELECT CAST(id AS TEXT) FROM channel_accounts WHERE tenant_id = '" +
                               tenant + "' LIMIT 1");
    exec("INSERT INTO contacts (tenant_id, id, channel_type, wa_id) VALUES ('" + tenant + "', '" +
         contact + "', 'whatsapp', '" + wa_id + "')");
    exec("INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) VALUES ('" +
         tenant + "', '" + conversation + "', '" + contact + "', '" + account + "')");
    for (const char* direction : {"inbound", "outbound"}) {
      std::string id = (direction[0] == 'i' ? "1" : "2") + conversation.substr(1);
      exec(
          "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
          "message_type) VALUES ('" +
          tenant + "', '" + id + "', '" + conversation + "', '" + contact + "', '" + direction +
          "', 'text')");
    }
    exec(
        "INSERT INTO outbox_messages (tenant_id, id, message_id, channel_account_id, recipient, "
        "request, next_attempt_ms, created_ms) VALUES ('" +
        tenant + "', '3" + conversation.substr(1) + "', '2" + conversation.substr(1) + "', '" +
        account + "', '" + wa_id + "', '{}', 0, 0)");
  }

  void exec(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << sql;
    tx.commit();
  }
  std::string text(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    std::string out;
    tx.sql() << sql, soci::into(out);
    return out;
  }
  long long count(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  }
  long long messagesOf(const std::string& tenant) {
    return count("SELECT COUNT(*) FROM messages WHERE tenant_id = '" + tenant + "'");
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string tenant_, other_;
};

TEST_P(ParentDeletes, AContactTakesItsConversationsAndMessages) {
  ASSERT_EQ(messagesOf(tenant_), 4);
  exec("DELETE FROM contacts WHERE tenant_id = '" + tenant_ + "' AND id = '" + kContactA + "'");
  EXPECT_EQ(messagesOf(tenant_), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE tenant_id = '" + tenant_ +
                  "' AND contact_id = '" + kContactA + "'"),
            0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM conversations WHERE tenant_id = '" + tenant_ + "'"), 1);
  EXPECT_EQ(messagesOf(other_), 4);  // the same ids in another tenant stay
}

TEST_P(ParentDeletes, AConversationTakesItsMessages) {
  exec("DELETE FROM conversations WHERE tenant_id = '" + tenant_ + "' AND id = '" + kConversationB +
       "'");
  EXPECT_EQ(count("SELECT COUNT(*) FROM messages WHERE tenant_id = '" + tenant_ +
                  "' AND conversation_id = '" + kConversationB + "'"),
            0);
  EXPECT_EQ(messagesOf(tenant_), 2);
  EXPECT_EQ(messagesOf(other_), 4);
}

TEST_P(ParentDeletes, ATenantTakesItsRowsOnTheMessagePath) {
  exec("DELETE FROM tenants WHERE id = '" + tenant_ + "'");
  EXPECT_EQ(messagesOf(tenant_), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE tenant_id = '" + tenant_ + "'"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contacts WHERE tenant_id = '" + tenant_ + "'"), 0);
  EXPECT_EQ(messagesOf(other_), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM outbox_messages WHERE tenant_id = '" + other_ + "'"), 2);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, ParentDeletes,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
