// Contacts as Meta's business-scoped user ids roll out: a person first seen by a user id alone
// who then writes with a wa_id that an older contact holds keeps writing (the older contact
// keeps the wa_id, the clash is counted), instead of every message failing on the unique wa_id.
// SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/contact_store.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

using json = nlohmann::json;

class ContactIdentity : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(5000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    tenant_ = newUuid();
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'duka', 'Duka')",
        soci::use(tenant_);
    tx.commit();
  }
  std::string contact(const json& from) {
    TenantScope tx(*db_, tenant_, true);
    std::string id =
        contact_store::upsert(tx, tenant_, "whatsapp", senderFrom(from), "2026-11-23T09:00:00Z").id;
    tx.commit();
    return id;
  }
  long long contacts() {
    TenantScope tx(*db_, tenant_);
    long long n = 0;
    tx.sql() << "SELECT COUNT(*) FROM contacts", soci::into(n);
    return n;
  }
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string tenant_;
};

TEST_P(ContactIdentity, AUserIdMeetingAPhoneAnotherContactHoldsKeepsBothAndCountsIt) {
  std::string by_phone = contact({{"wa_id", "254711000111"}});
  std::string by_user = contact({{"user_id", "KE.42"}});
  ASSERT_NE(by_phone, by_user);
  auto& metrics = MetricsRegistry::global();
  double before = metrics.value("baraza_contact_identity_conflicts_total", {});
  EXPECT_EQ(contact({{"user_id", "KE.42"}, {"wa_id", "254711000111"}}), by_user)
      << "the message is not refused";
  EXPECT_EQ(metrics.value("baraza_contact_identity_conflicts_total", {}), before + 1);
  EXPECT_EQ(contact({{"wa_id", "254711000111"}}), by_phone) << "the older contact keeps its wa_id";
  EXPECT_EQ(contacts(), 2);
}

TEST_P(ContactIdentity, AUserIdMeetingItsOwnContactsPhoneJoinsThem) {
  std::string by_phone = contact({{"wa_id", "254711000111"}});
  auto& metrics = MetricsRegistry::global();
  double before = metrics.value("baraza_contact_identity_conflicts_total", {});
  EXPECT_EQ(contact({{"user_id", "KE.42"}, {"wa_id", "254711000111"}}), by_phone);
  EXPECT_EQ(contact({{"user_id", "KE.42"}}), by_phone) << "known by its user id from now on";
  EXPECT_EQ(contact({{"user_id", "KE.42"}, {"wa_id", "254711000111"}}), by_phone);
  EXPECT_EQ(metrics.value("baraza_contact_identity_conflicts_total", {}), before)
      << "no clash: the wa_id is its own";
  EXPECT_EQ(contacts(), 1);
}

// A user id names one contact per tenant and channel; contacts without one (most WhatsApp
// numbers today) are any number. PostgreSQL indexes only the contacts that have one.
TEST_P(ContactIdentity, AUserIdIsUniqueWhileContactsWithoutOneAreMany) {
  EXPECT_NE(contact({{"wa_id", "254711000001"}}), contact({{"wa_id", "254711000002"}}));
  std::string first = contact({{"user_id", "KE.7"}});
  EXPECT_EQ(contact({{"user_id", "KE.7"}}), first);
  std::string another = newUuid();
  TenantScope tx(*db_, tenant_, true);
  auto duplicate = [&] {
    tx.sql() << "INSERT INTO contacts (tenant_id, id, channel_type, business_user_id) VALUES "
                "(:t, :i, 'whatsapp', 'KE.7')",
        soci::use(tenant_), soci::use(another);
  };
  EXPECT_THROW(duplicate(), std::exception);
}

// A batch's senders, of two tenants, in one statement: the new ones created, the known ones found
// and kept current, and one sender twice in the batch one contact.
TEST_P(ContactIdentity, ABatchFindsOrCreatesEachSendersContact) {
  std::string other = newUuid();
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO tenants (id, slug, name) VALUES (:i, 'soko', 'Soko')",
        soci::use(other);
    tx.commit();
  }
  std::string known = contact({{"wa_id", "254711000111"}, {"profile_name", "Amina"}});
  Sender again = senderFrom({{"wa_id", "254711000111"}});  // no name this time
  Sender fresh = senderFrom({{"wa_id", "254711000222"}, {"profile_name", "Baraka"}});
  Sender renamed = senderFrom({{"wa_id", "254711000222"}, {"profile_name", "Bar"}});
  TenantScope tx(*db_, TenantScope::kAllTenants, true);
  auto found =
      contact_store::upsertMany(tx, {{tenant_, "whatsapp", &again, "2026-11-23T09:01:00Z"},
                                     {tenant_, "whatsapp", &fresh, "2026-11-23T09:01:00Z"},
                                     {other, "whatsapp", &again, "2026-11-23T09:01:00Z"},
                                     {tenant_, "whatsapp", &renamed, "2026-11-23T09:02:00Z"}});
  tx.commit();
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].id, known);
  EXPECT_FALSE(found[0].created);
  EXPECT_TRUE(found[1].created);
  EXPECT_NE(found[2].id, known) << "the same number at another tenant is another contact";
  EXPECT_TRUE(found[2].created);
  EXPECT_EQ(found[3].id, found[1].id) << "one sender twice in a batch is one contact";
  EXPECT_FALSE(found[3].created);
  TenantScope read(*db_, TenantScope::kAllTenants);
  long long count = 0;
  read.sql() << "SELECT COUNT(*) FROM contacts", soci::into(count);
  EXPECT_EQ(count, 3);
  std::string amina, bar, seen;
  read.sql() << "SELECT profile_name FROM contacts WHERE wa_id = '254711000111' AND tenant_id = :t",
      soci::use(tenant_), soci::into(amina);
  read.sql() << "SELECT profile_name, CAST(last_seen_at AS TEXT) FROM contacts WHERE wa_id = "
                "'254711000222'",
      soci::into(bar), soci::into(seen);
  EXPECT_EQ(amina, "Amina") << "a name already known stays when a message brings none";
  EXPECT_EQ(bar, "Bar");
  EXPECT_NE(seen.find("09:02:00"), std::string::npos) << seen;
}

INSTANTIATE_TEST_SUITE_P(BothDialects, ContactIdentity,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
