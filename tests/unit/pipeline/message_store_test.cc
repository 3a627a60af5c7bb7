// The message store: a message's status only moves forward, also when two of its
// statuses are applied by two transactions at once (PostgreSQL, where that can happen).
#include <gtest/gtest.h>

#include <thread>

#include "core/uuid.h"
#include "pipeline/message_store.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

TEST(MessageStore, ConcurrentStatusesNeverMoveAMessageBackwards) {
  test::DialectDatabase target(Dialect::kPostgresql);
  Database db(target.url(), 4, std::chrono::milliseconds(5000));
  Migrator(db, embeddedMigrations(Dialect::kPostgresql)).apply();
  std::string tenant = newUuid(), account = newUuid(), contact = newUuid(), conv = newUuid();
  {
    TenantScope tx(db, TenantScope::kAllTenants, true);
    auto& sql = tx.sql();
    sql << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'race', 'Race')", soci::use(tenant);
    sql << "INSERT INTO channel_accounts (tenant_id, id, channel_type, phone_number_id, "
           "access_token_sealed) VALUES (:t, :i, 'whatsapp', '5550001', 'x')",
        soci::use(tenant), soci::use(account);
    sql << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id) VALUES (:t, :i, "
           "'whatsapp', '254700000000')",
        soci::use(tenant), soci::use(contact);
    sql << "INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) VALUES "
           "(:t, :i, :c, :a)",
        soci::use(tenant), soci::use(conv), soci::use(contact), soci::use(account);
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
  ASSERT_TRUE(
      message_store::applyStatus(read_tx, tenant, "wamid.RACE", "read", nlohmann::json(), at));
  std::thread late([&] {
    message_store::applyStatus(delivered_tx, tenant, "wamid.RACE", "delivered", nlohmann::json(),
                               at);
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

}  // namespace
}  // namespace baraza
