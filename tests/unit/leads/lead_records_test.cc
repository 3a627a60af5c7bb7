// The organization's leads as the pipeline records them, on SQLite and PostgreSQL (where the
// agent's transaction reaches its organization's leads through row-level security, and no
// other organization's).
#include "leads/lead_records.h"

#include <gtest/gtest.h>

#include "core/iso_time.h"
#include "core/uuid.h"
#include "pipeline/contact_store.h"
#include "storage/migrator.h"
#include "support/test_env.h"

namespace baraza {
namespace {

using json = nlohmann::json;

json referral(const std::string& url, const std::string& ad) {
  return {
      {"source_url", url}, {"source_id", ad}, {"source_type", "ad"}, {"ctwa_clid", "clid-" + ad}};
}

class LeadRecords : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 4, std::chrono::milliseconds(10000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    org_ = newUuid();
    other_org_ = newUuid();
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO organizations (id, slug, name) VALUES (:i, 'nyumba', 'Nyumba')",
        soci::use(org_);
    tx.sql() << "INSERT INTO organizations (id, slug, name) VALUES (:i, 'other', 'Other')",
        soci::use(other_org_);
    for (auto [slug, org] : {std::pair{"agent-a", org_}, std::pair{"agent-b", org_},
                             std::pair{"agent-c", other_org_}}) {
      std::string id = newUuid(), name = slug;  // soci binds by reference: no temporaries
      tx.sql() << "INSERT INTO tenants (id, slug, name, organization_id) VALUES (:i, :s, :n, :o)",
          soci::use(id), soci::use(name), soci::use(name), soci::use(org);
      tenants_[slug] = id;
    }
    tx.commit();
  }

  // One inbound message from `from` to agent `slug` at `at` (seconds), recorded as the
  // pipeline does.
  LeadOutcome message(const std::string& slug, const json& from, long long at,
                      const json& ref = nullptr, bool new_conversation = false) {
    const std::string& tenant = tenants_.at(slug);
    std::string org = slug == "agent-c" ? other_org_ : org_;
    TenantScope tx(*db_, tenant, true);
    std::string contact =
        contact_store::upsert(tx, tenant, "whatsapp", senderFrom(from), formatIsoUtc(at)).id;
    json event{{"from", from}, {"type", "text"}, {"text", "Bei gani?"}};
    if (!ref.is_null())
      event["referral"] = ref;
    LeadOutcome out = recordLeadContact(
        tx.sql(), db_->dialect(),
        {org, tenant, contact, newUuid(), newUuid(), new_conversation, formatIsoUtc(at), event});
    tx.commit();
    return out;
  }

  json lead(const std::string& org, const std::string& scope_id = "") {
    TenantScope tx(*db_, scope_id.empty() ? TenantScope::organization(org) : scope_id);
    std::string id, first, first_source, last, last_source, phone, user;
    long long agents = 0, messages = 0;
    soci::indicator pi, ui, fi, li;
    tx.sql() << "SELECT CAST(l.id AS TEXT), ft.slug, l.first_source, lt.slug, l.last_source, "
                "l.agent_count, l.message_count, l.phone, l.business_user_id FROM leads l LEFT "
                "JOIN tenants ft ON ft.id = l.first_tenant_id LEFT JOIN tenants lt ON lt.id = "
                "l.last_tenant_id WHERE CAST(l.organization_id AS TEXT) = :o",
        soci::use(org), soci::into(id), soci::into(first, fi), soci::into(first_source),
        soci::into(last, li), soci::into(last_source), soci::into(agents), soci::into(messages),
        soci::into(phone, pi), soci::into(user, ui);
    if (!tx.sql().got_data())
      return nullptr;
    return {{"id", id},
            {"first", first},
            {"first_source", first_source},
            {"last", last},
            {"last_source", last_source},
            {"agents", agents},
            {"messages", messages},
            {"phone", pi == soci::i_ok ? json(phone) : json()},
            {"user_id", ui == soci::i_ok ? json(user) : json()}};
  }

  long long count(const std::string& sql) {
    TenantScope tx(*db_, TenantScope::kAllTenants);
    long long n = 0;
    tx.sql() << sql, soci::into(n);
    return n;
  }

  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::string org_, other_org_;
  std::map<std::string, std::string> tenants_;
};

const json kWanjiku{{"wa_id", "254711000111"}, {"profile_name", "Wanjiku"}};

TEST_P(LeadRecords, TheSameLeadThroughTwoAgentsIsOneLeadAttributedToTheFirst) {
  auto a = message("agent-a", kWanjiku, 1000, referral("https://fb.me/x", "AD-A1"), true);
  auto b = message("agent-b", kWanjiku, 2000, referral("https://instagram.com/p/y", "AD-B2"), true);
  EXPECT_EQ(a.touch, "first_contact");
  EXPECT_EQ(b.touch, "new_agent");
  EXPECT_EQ(a.lead_id, b.lead_id);
  json l = lead(org_);
  EXPECT_EQ(l["first"], "agent-a");
  EXPECT_EQ(l["first_source"], "facebook_ad");
  EXPECT_EQ(l["last"], "agent-b");
  EXPECT_EQ(l["last_source"], "instagram_ad");
  EXPECT_EQ(l["agents"], 2);
  EXPECT_EQ(l["messages"], 2);
  EXPECT_EQ(l["phone"], "+254711000111");
  EXPECT_EQ(count("SELECT COUNT(*) FROM leads"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM lead_agents"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM contacts"), 2) << "each agent keeps its own contact";
}

TEST_P(LeadRecords, FirstTouchGoesToTheEarliestMessageWhateverTheProcessingOrder) {
  message("agent-b", kWanjiku, 2000, referral("https://instagram.com/p/y", "AD-B2"));
  message("agent-a", kWanjiku, 1000, referral("https://fb.me/x", "AD-A1"));
  json l = lead(org_);
  EXPECT_EQ(l["first"], "agent-a") << "its message was written first, though processed second";
  EXPECT_EQ(l["first_source"], "facebook_ad");
  EXPECT_EQ(l["last"], "agent-b");
  EXPECT_EQ(l["last_source"], "instagram_ad");
}

TEST_P(LeadRecords, AnEarlierPlainMessageProcessedLaterStillTakesTheFirstTouch) {
  // A's second message (t=20) is processed first and creates the lead; A's first (t=10), a
  // plain follow-up by then, arrives next; B's (t=15) after both.
  message("agent-a", kWanjiku, 20, referral("https://fb.me/late", "AD-LATE"));
  EXPECT_EQ(message("agent-a", kWanjiku, 10).touch, "");
  EXPECT_EQ(message("agent-b", kWanjiku, 15).touch, "new_agent");
  json l = lead(org_);
  EXPECT_EQ(l["first"], "agent-a");
  EXPECT_EQ(l["first_source"], "direct") << "the earliest message had no referral";
  EXPECT_EQ(l["last"], "agent-a") << "by time, A's ad click (t=20) is the latest touch";
  EXPECT_EQ(l["last_source"], "facebook_ad");
  EXPECT_EQ(l["agents"], 2);
  TenantScope tx(*db_, TenantScope::kAllTenants);
  std::string first_source;
  tx.sql() << "SELECT first_source FROM lead_agents WHERE CAST(tenant_id AS TEXT) = :t",
      soci::use(tenants_["agent-a"]), soci::into(first_source);
  EXPECT_EQ(first_source, "direct") << "A's thread also starts at its earliest message";
}

TEST_P(LeadRecords, LaterContactsAreTouchesOnlyWhenTheyAreNew) {
  message("agent-a", kWanjiku, 1000, nullptr, true);
  EXPECT_EQ(message("agent-a", kWanjiku, 1100).touch, "") << "a plain follow-up";
  EXPECT_EQ(message("agent-a", kWanjiku, 90000, nullptr, true).touch, "new_conversation");
  EXPECT_EQ(message("agent-a", kWanjiku, 95000, referral("https://fb.me/z", "AD-A9")).touch,
            "referral");
  json l = lead(org_);
  EXPECT_EQ(l["messages"], 4);
  EXPECT_EQ(l["first_source"], "direct");
  EXPECT_EQ(l["last_source"], "facebook_ad") << "the latest touch, an ad click";
  EXPECT_EQ(count("SELECT COUNT(*) FROM lead_touches"), 3);
}

TEST_P(LeadRecords, AnotherOrganizationHasItsOwnLeadAndSeesNoneOfThisOne) {
  message("agent-a", kWanjiku, 1000);
  message("agent-c", kWanjiku, 1500);
  EXPECT_EQ(count("SELECT COUNT(*) FROM leads"), 2);
  EXPECT_EQ(lead(org_)["first"], "agent-a");
  EXPECT_EQ(lead(other_org_)["first"], "agent-c");
  if (GetParam() == Dialect::kPostgresql) {
    // Row-level security: agent C's transaction and the other organization's scope read
    // nothing of Nyumba's lead, even asking for it by organization.
    EXPECT_TRUE(lead(org_, tenants_["agent-c"]).is_null());
    EXPECT_TRUE(lead(org_, TenantScope::organization(other_org_)).is_null());
    EXPECT_FALSE(lead(org_, tenants_["agent-b"]).is_null()) << "B is Nyumba's agent";
  }
}

// Row-level security is PostgreSQL's.
class LeadRowSecurity : public LeadRecords {};

TEST_P(LeadRowSecurity, OnlyAnAgentsOwnTransactionWritesAndOnlyItsOwnThread) {
  message("agent-a", kWanjiku, 1000);
  message("agent-b", kWanjiku, 2000);
  auto changed = [&](const std::string& scope, const std::string& statement) {
    TenantScope tx(*db_, scope, true);
    soci::statement st = (tx.sql().prepare << statement);
    st.execute(true);
    long long rows = st.get_affected_rows();
    tx.commit();
    return rows;
  };
  // The organization's admin reads; it does not write.
  EXPECT_EQ(changed(TenantScope::organization(org_), "UPDATE leads SET display_name = 'x'"), 0);
  EXPECT_EQ(changed(TenantScope::organization(org_), "DELETE FROM lead_touches"), 0);
  // Agent B writes the lead and its own thread, not A's.
  EXPECT_EQ(changed(tenants_["agent-b"], "UPDATE lead_agents SET message_count = 99"), 1);
  EXPECT_EQ(changed(tenants_["agent-b"], "UPDATE leads SET display_name = 'W'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM lead_agents WHERE message_count = 99"), 1);
  // Keys: no tenant or organization transaction reads a hash or mints one.
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "INSERT INTO organization_api_keys (organization_id, id, name, prefix, key_hash) "
                "VALUES (:o, gen_random_uuid(), 'k', 'bzo_1234', 'hash')",
        soci::use(org_);
    tx.commit();
  }
  for (const std::string& scope : {tenants_["agent-a"], TenantScope::organization(org_)}) {
    TenantScope tx(*db_, scope);
    long long keys = -1;
    tx.sql() << "SELECT COUNT(*) FROM organization_api_keys", soci::into(keys);
    EXPECT_EQ(keys, 0) << scope;
  }
  auto mint = [&] {
    TenantScope tx(*db_, tenants_["agent-a"], true);
    tx.sql() << "INSERT INTO organization_api_keys (organization_id, id, name, prefix, key_hash) "
                "VALUES (:o, gen_random_uuid(), 'k', 'bzo_5678', 'hash2')",
        soci::use(org_);
  };
  EXPECT_THROW(mint(), soci::soci_error);
}

TEST_P(LeadRecords, ABusinessScopedIdAndAPhoneBecomeOneLead) {
  json bsuid_only{{"user_id", "KE.1234567890"}, {"profile_name", "Wanjiku"}};
  auto first = message("agent-a", bsuid_only, 1000);
  json l = lead(org_);
  EXPECT_TRUE(l["phone"].is_null());
  EXPECT_EQ(l["user_id"], "KE.1234567890");
  json both{{"user_id", "KE.1234567890"}, {"wa_id", "254711000111"}};
  auto second = message("agent-b", both, 2000);
  EXPECT_EQ(second.lead_id, first.lead_id);
  EXPECT_EQ(lead(org_)["phone"], "+254711000111") << "the phone learnt later completes the lead";
  EXPECT_EQ(message("agent-b", kWanjiku, 3000).lead_id, first.lead_id) << "found by phone";
  EXPECT_EQ(count("SELECT COUNT(*) FROM leads"), 1);
  EXPECT_EQ(message("agent-a", json{{"profile_name", "nobody"}}, 4000).lead_id, "")
      << "neither phone nor id: no lead";
}

INSTANTIATE_TEST_SUITE_P(PostgreSQL, LeadRowSecurity, ::testing::Values(Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });
INSTANTIATE_TEST_SUITE_P(BothDialects, LeadRecords,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
