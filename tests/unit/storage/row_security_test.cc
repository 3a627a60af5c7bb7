// PostgreSQL's row-level security as a second wall behind the queries' own predicates. The engine
// connects as baraza_app: the owner of the database, neither superuser nor BYPASSRLS.
#include <gtest/gtest.h>

#include "core/uuid.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/tenant_import.h"

namespace baraza {
namespace {

class RowSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<Database>(pg_.url(), 2, std::chrono::milliseconds(2000));
    Migrator(*db_, embeddedMigrations(Dialect::kPostgresql)).apply();
    Sealer sealer(KeyRing::loadOrCreate(dir_.file("master.key")));
    a_ = importTenant(*db_, sealer,
                      readTenantFile(test::sourceDir() + "/examples/tenants/kassangas.yaml"), "t")
             .tenant_id;
    b_ = importTenant(*db_, sealer,
                      readTenantFile(test::sourceDir() + "/examples/tenants/mama-mboga.yaml"), "t")
             .tenant_id;
  }

  long long count(TenantScope& scope, const std::string& table, const std::string& tenant = "") {
    long long n = 0;
    if (tenant.empty()) {
      scope.sql() << "SELECT COUNT(*) FROM " + table, soci::into(n);
    } else {
      scope.sql() << "SELECT COUNT(*) FROM " + table + " WHERE CAST(tenant_id AS TEXT) = :t",
          soci::use(tenant), soci::into(n);
    }
    return n;
  }

  // Every table with `owner_column` (but `except`) has row-level security enabled, forced and
  // at least one policy; at least `minimum` such tables.
  void expectEveryTableSecured(const std::string& owner_column, const std::string& except,
                               int minimum) {
    auto s = db_->lease();
    soci::rowset<soci::row> rows =
        ((*s)->prepare << "SELECT c.relname, CASE WHEN c.relrowsecurity THEN 1 ELSE 0 END, "
                          "CASE WHEN c.relforcerowsecurity THEN 1 ELSE 0 END, "
                          "(SELECT COUNT(*) FROM pg_policy p WHERE p.polrelid = c.oid) "
                          "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> :x "
                          "AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND "
                          "a.attname = :col AND NOT a.attisdropped) ORDER BY c.relname",
         soci::use(except), soci::use(owner_column));
    int tables = 0;
    for (const auto& r : rows) {
      ++tables;
      std::string name = r.get<std::string>(0);
      EXPECT_EQ(rowInt(r, 1), 1) << name << ": row-level security not enabled";
      EXPECT_EQ(rowInt(r, 2), 1) << name << ": row-level security not forced";
      EXPECT_GE(rowInt(r, 3), 1) << name << ": no policy";
    }
    EXPECT_GE(tables, minimum) << owner_column;
  }

  test::TempDir dir_;
  test::PostgresDatabase pg_;
  std::unique_ptr<Database> db_;
  std::string a_, b_;
};

TEST_F(RowSecurity, TheEnginesRoleIsSubjectToIt) {
  auto s = db_->lease();
  int super = 1, bypass = 1;
  **s << "SELECT CASE WHEN rolsuper THEN 1 ELSE 0 END, CASE WHEN rolbypassrls THEN 1 ELSE 0 END "
         "FROM pg_roles WHERE rolname = current_user",
      soci::into(super), soci::into(bypass);
  EXPECT_EQ(super, 0);
  EXPECT_EQ(bypass, 0);
}

TEST_F(RowSecurity, EveryTenantTableHasItEnabledForcedAndAPolicy) {
  expectEveryTableSecured("tenant_id", "", 9);
}

TEST_F(RowSecurity, EveryOrganizationTableHasItEnabledForcedAndAPolicy) {
  expectEveryTableSecured("organization_id", "tenants", 4);
}

TEST_F(RowSecurity, AnOrganizationReadsItsAgentsContactsAndWritesNone) {
  std::string org = "8d0c5f3e-1b7a-4c1e-9a53-2f1d7e6b4a10";
  {
    TenantScope all(*db_, TenantScope::kAllTenants, true);
    all.sql() << "INSERT INTO organizations (id, slug, name) VALUES (:o, 'nyumba', 'Nyumba')",
        soci::use(org);
    all.sql() << "UPDATE tenants SET organization_id = :o WHERE CAST(id AS TEXT) = :a",
        soci::use(org), soci::use(a_);
    for (const auto& t : {a_, b_}) {
      all.sql() << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id) VALUES (:t, "
                   "gen_random_uuid(), 'whatsapp', '254711000111')",
          soci::use(t);
    }
    all.commit();
  }
  TenantScope scope(*db_, TenantScope::organization(org), true);
  EXPECT_EQ(count(scope, "contacts"), 1) << "its agent's contact only";
  EXPECT_EQ(count(scope, "contacts", b_), 0);
  EXPECT_EQ(count(scope, "channel_accounts"), 0) << "no read policy there";
  scope.sql() << "UPDATE contacts SET profile_name = 'hacked'";
  scope.sql() << "DELETE FROM contacts";
  scope.commit();
  TenantScope all(*db_, TenantScope::kAllTenants);
  EXPECT_EQ(count(all, "contacts"), 2) << "read-only: nothing deleted";
  long long hacked = 0;
  all.sql() << "SELECT COUNT(*) FROM contacts WHERE profile_name = 'hacked'", soci::into(hacked);
  EXPECT_EQ(hacked, 0);
}

TEST_F(RowSecurity, ATransactionActingForTenantAReadsAndWritesNothingOfB) {
  TenantScope scope(*db_, a_, true);
  EXPECT_EQ(count(scope, "channel_accounts"), 1);
  EXPECT_EQ(count(scope, "knowledge_entries"), 9) << "only A's nine entries";
  EXPECT_EQ(count(scope, "knowledge_entries", b_), 0);
  scope.sql()
      << "UPDATE knowledge_entries SET answer = 'hacked' WHERE CAST(tenant_id AS TEXT) = :b",
      soci::use(b_);
  scope.sql() << "DELETE FROM prompt_templates WHERE CAST(tenant_id AS TEXT) = :b", soci::use(b_);
  scope.commit();
  TenantScope all(*db_, TenantScope::kAllTenants);
  long long hacked = 0;
  all.sql() << "SELECT COUNT(*) FROM knowledge_entries WHERE answer = 'hacked'", soci::into(hacked);
  EXPECT_EQ(hacked, 0);
  EXPECT_EQ(count(all, "prompt_templates", b_), 1) << "B's template survived";
}

TEST_F(RowSecurity, WritingARowForAnotherTenantIsRefused) {
  TenantScope scope(*db_, a_, true);
  auto insertForB = [&] {
    scope.sql() << "INSERT INTO api_keys (tenant_id, id, name, prefix, key_hash) VALUES "
                   "(:b, gen_random_uuid(), 'x', 'p', 'h')",
        soci::use(b_);
  };
  EXPECT_THROW(insertForB(), soci::soci_error);
}

TEST_F(RowSecurity, NoTenantSetSeesNothingAndNothingLeaksAcrossTransactions) {
  {
    TenantScope scope(*db_, a_);
    EXPECT_EQ(count(scope, "channel_accounts"), 1);
    scope.commit();
  }
  for (int i = 0; i < 4; ++i) {  // every connection of the pool, after scoped transactions
    auto s = db_->lease();
    long long n = -1;
    **s << "SELECT COUNT(*) FROM channel_accounts", soci::into(n);
    EXPECT_EQ(n, 0) << "a connection with no tenant set saw rows";
  }
}

// A batch statement joins its rows (unnest) to a table under row-level security in a
// transaction that switches scans off (Plans::kIndexed). The table's organization_read policy
// reads tenants by organization_id::text; that lookup must be an index, or the planner prices
// it at the disable cost on every inner loop and reads the whole table once per statement
// instead (migration 0019).
TEST_F(RowSecurity, ABatchJoinedToAPolicedTableIsLookedUpRowByRow) {
  std::string contact = newUuid(), conversation = newUuid(), account;
  {
    TenantScope tx(*db_, TenantScope::kAllTenants, true);
    tx.sql() << "SELECT CAST(id AS TEXT) FROM channel_accounts WHERE tenant_id = :t LIMIT 1",
        soci::use(a_), soci::into(account);
    tx.sql() << "INSERT INTO contacts (tenant_id, id, channel_type, wa_id) VALUES (:t, :c, "
                "'whatsapp', '254700000001')",
        soci::use(a_), soci::use(contact);
    tx.sql() << "INSERT INTO conversations (tenant_id, id, contact_id, channel_account_id) "
                "VALUES (:t, :v, :c, :a)",
        soci::use(a_), soci::use(conversation), soci::use(contact), soci::use(account);
    tx.sql() << "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
                "message_type) SELECT :t, gen_random_uuid(), :v, :c, 'inbound', 'text' FROM "
                "generate_series(1, 3000)",
        soci::use(a_), soci::use(conversation), soci::use(contact);
    tx.commit();
  }
  Database::execScript(**db_->lease(), Dialect::kPostgresql, "ANALYZE messages");
  std::string ids = "{", tenants = "{";
  for (int i = 0; i < 16; ++i) {
    ids += (i ? "," : "") + newUuid();
    tenants += (i ? "," : "") + a_;
  }
  ids += "}";
  tenants += "}";
  TenantScope tx(*db_, TenantScope::kAllTenants, true, TenantScope::Plans::kIndexed);
  std::string plan;
  soci::rowset<std::string> lines =
      (tx.sql().prepare << "EXPLAIN UPDATE messages SET unanswered = TRUE FROM "
                           "unnest(CAST(:t AS uuid[]), CAST(:i AS uuid[])) AS v(tenant_id, id) "
                           "WHERE messages.tenant_id = v.tenant_id AND messages.id = v.id",
       soci::use(tenants), soci::use(ids));
  for (const auto& line : lines)
    plan += line + "\n";
  EXPECT_NE(plan.find("Index Cond: ((tenant_id = v.tenant_id) AND (id = v.id))"), std::string::npos)
      << plan;
  EXPECT_EQ(plan.find("Materialize"), std::string::npos) << plan;
}

}  // namespace
}  // namespace baraza
