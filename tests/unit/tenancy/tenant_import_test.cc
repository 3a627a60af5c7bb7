#include "tenancy/tenant_import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/iso_time.h"
#include "storage/migrator.h"
#include "support/test_env.h"
#include "tenancy/token_expiry.h"

namespace baraza {
namespace {

// Every case runs on SQLite and on the throwaway PostgreSQL server.
class TenantImport : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(2000));
    Migrator(*db_, embeddedMigrations(GetParam())).apply();
    sealer_ = std::make_unique<Sealer>(KeyRing::loadOrCreate(dir_.file("master.key")));
    // Edited copies of kassangas.yaml live in dir_; its script goes with them.
    dir_.write("kassangas.lua", test::readFileText(example_dir() + "/kassangas.lua"));
  }
  static std::string example_dir() { return test::sourceDir() + "/examples/tenants"; }

  ImportResult import(const std::string& file) {
    return importTenant(*db_, *sealer_, readTenantFile(file), "test");
  }
  std::string example(const std::string& name) {
    return test::sourceDir() + "/examples/tenants/" + name + ".yaml";
  }
  // Operator-level reads: across every tenant (row-level security applies on PostgreSQL).
  long long count(const std::string& sql) {
    TenantScope scope(*db_, TenantScope::kAllTenants);
    long long n = 0;
    scope.sql() << sql, soci::into(n);
    return n;
  }
  std::string text(const std::string& sql) {
    TenantScope scope(*db_, TenantScope::kAllTenants);
    std::string v;
    scope.sql() << sql, soci::into(v);
    return v;
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Sealer> sealer_;
};

TEST_P(TenantImport, TheExampleTenantsImportWithTheirOrganization) {
  for (const char* name :
       {"kassangas", "mama-mboga", "nyumba-realty-amina", "nyumba-realty-otieno"}) {
    EXPECT_TRUE(import(example(name)).created) << name;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenants"), 4);
  EXPECT_EQ(count("SELECT COUNT(*) FROM organizations"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenants WHERE organization_id IS NOT NULL"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM knowledge_entries k JOIN tenants t ON t.id = k.tenant_id "
                  "WHERE t.slug = 'kassangas'"),
            9);
  EXPECT_EQ(count("SELECT COUNT(*) FROM prompt_templates p JOIN tenants t ON t.id = p.tenant_id "
                  "WHERE t.slug = 'kassangas'"),
            3);
  EXPECT_EQ(text("SELECT organization_name FROM (SELECT o.name AS organization_name FROM "
                 "organizations o) x"),
            "Nyumba Realty Ltd");
}

TEST(TokenExpiry, DaysRoundDownAndPastMeansExpired) {
  test::TempDir dir;
  Database db("sqlite://" + dir.file("e.db"), 1, std::chrono::milliseconds(2000));
  Migrator(db, embeddedMigrations(Dialect::kSqlite)).apply();
  Sealer sealer(KeyRing::loadOrCreate(dir.file("k")));
  std::time_t now = std::time(nullptr);
  auto tenant = [&](const std::string& slug, const std::string& phone, long long offset) {
    importTenant(db, sealer,
                 readTenantFile(dir.write(
                     slug + ".yaml", "slug: " + slug +
                                         "\nname: n\nchannels:\n"
                                         "  - phone_number_id: \"" +
                                         phone +
                                         "\"\n"
                                         "    access_token: tok-12345\n    token_expires_at: \"" +
                                         formatIsoUtc(now + offset) + "\"\n")),
                 "t");
  };
  tenant("hour-ago", "1", -3600);
  tenant("in-a-day-and-a-half", "2", 36 * 3600);
  tenant("in-a-month", "3", 30 * 86400);
  auto tokens = expiringTokens(db, now);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].tenant_slug, "hour-ago");
  EXPECT_TRUE(tokens[0].expired);
  EXPECT_EQ(tokens[0].days_left, -1) << "an hour past is the day before";
  EXPECT_FALSE(tokens[1].expired);
  EXPECT_EQ(tokens[1].days_left, 1);
}

TEST_P(TenantImport, ImportingTheSameFileAgainChangesNothingVisible) {
  ImportResult first = import(example("kassangas"));
  std::string channel = text("SELECT CAST(id AS TEXT) FROM channel_accounts");
  std::string knowledge_id =
      text("SELECT CAST(id AS TEXT) FROM knowledge_entries WHERE question = 'Do you deliver?'");
  std::string template_id =
      text("SELECT CAST(id AS TEXT) FROM prompt_templates WHERE name = 'sales'");
  ImportResult again = import(example("kassangas"));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.tenant_id, first.tenant_id);
  EXPECT_EQ(text("SELECT CAST(id AS TEXT) FROM channel_accounts"), channel);
  EXPECT_EQ(count("SELECT COUNT(*) FROM knowledge_entries"), 9);
  EXPECT_EQ(count("SELECT COUNT(*) FROM prompt_templates"), 3);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_settings"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), 2) << "one entry per import";
  EXPECT_EQ(text("SELECT CAST(id AS TEXT) FROM knowledge_entries WHERE question = 'Do you "
                 "deliver?'"),
            knowledge_id)
      << "entries keep their ids: messages refer to them";
  EXPECT_EQ(text("SELECT CAST(id AS TEXT) FROM prompt_templates WHERE name = 'sales'"),
            template_id);
}

TEST_P(TenantImport, TokensAreSealedAndOpenOnlyInTheirOwnRow) {
  ImportResult r = import(example("kassangas"));
  std::string id = text("SELECT CAST(id AS TEXT) FROM channel_accounts");
  std::string sealed = text("SELECT access_token_sealed FROM channel_accounts");
  EXPECT_EQ(sealed.rfind("bz1.k1.", 0), 0u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM channel_accounts WHERE access_token_sealed LIKE "
                  "'%placeholder%' OR verify_token_sealed LIKE '%kassangas-verify%'"),
            0);
  EXPECT_EQ(sealer_->open(sealed, {r.tenant_id, "channel_accounts", id, "access_token_sealed"}),
            "EAAX-demo-kassangas-placeholder-token");
  EXPECT_EQ(sealer_->open(sealed, {r.tenant_id, "channel_accounts", id, "verify_token_sealed"}),
            std::nullopt);
  std::string verify = text("SELECT verify_token_sealed FROM channel_accounts");
  EXPECT_EQ(sealer_->open(verify, {r.tenant_id, "channel_accounts", id, "verify_token_sealed"}),
            "kassangas-verify");
  EXPECT_EQ(text("SELECT after FROM audit_log").find("placeholder"), std::string::npos);
}

TEST_P(TenantImport, ANumberOwnedByAnotherTenantIsRefusedAndNothingChanges) {
  import(example("kassangas"));
  std::string thief =
      dir_.write("thief.yaml",
                 "slug: thief\nname: Thief\nchannels:\n  - phone_number_id: \"119202345678901\"\n"
                 "    access_token: stolen-token\n");
  try {
    import(thief);
    FAIL() << "a number changed hands";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("already belongs to tenant 'kassangas'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenants"), 1) << "the failed import was rolled back";
}

TEST_P(TenantImport, EntriesLeftOutOfTheFileAreDeletedAndChangedOnesUpdatedInPlace) {
  import(example("kassangas"));
  std::string id =
      text("SELECT CAST(id AS TEXT) FROM knowledge_entries WHERE question = 'Do you deliver?'");
  std::string yaml = test::readFileText(example("kassangas"));
  yaml.replace(yaml.find("same-day delivery in Nairobi for KSh 300"), 40,
               "same-day delivery in Nairobi for KSh 350");
  size_t repair = yaml.find("  - question: \"Do you repair instruments?\"");
  size_t next = yaml.find("  - question:", repair + 10);
  yaml.erase(repair, next - repair);
  import(dir_.write("kassangas.yaml", yaml));
  EXPECT_EQ(count("SELECT COUNT(*) FROM knowledge_entries"), 8);
  EXPECT_EQ(text("SELECT CAST(id AS TEXT) FROM knowledge_entries WHERE question = 'Do you "
                 "deliver?'"),
            id);
  EXPECT_NE(text("SELECT answer FROM knowledge_entries WHERE question = 'Do you deliver?'")
                .find("KSh 350"),
            std::string::npos);
}

TEST_P(TenantImport, ChannelsLeftOutOfTheFileAreDeactivatedNotDeleted) {
  import(example("kassangas"));
  std::string yaml = test::readFileText(example("kassangas"));
  yaml.replace(yaml.find("119202345678901"), 15, "119202345670000");
  import(dir_.write("kassangas.yaml", yaml));
  EXPECT_EQ(count("SELECT COUNT(*) FROM channel_accounts"), 2);
  EXPECT_EQ(count(std::string("SELECT COUNT(*) FROM channel_accounts WHERE active = ") +
                  (GetParam() == Dialect::kSqlite ? "1" : "TRUE")),
            1);
}

TEST_P(TenantImport, TheScriptIsImportedAsAVersionOnlyWhenItChanges) {
  auto first = import(example("kassangas"));
  EXPECT_EQ(first.script_version, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_scripts WHERE active"), 1);
  EXPECT_EQ(import(example("kassangas")).script_version, 0);  // the same text: nothing new
  std::string yaml = test::readFileText(example("kassangas"));
  dir_.write("kassangas.lua", "return { route = function() return 'faq' end }");
  auto second = import(dir_.write("kassangas.yaml", yaml));
  EXPECT_EQ(second.script_version, 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_scripts"), 2);
  EXPECT_EQ(text("SELECT CAST(version AS TEXT) FROM tenant_scripts WHERE active"), "2");
  // A script that does not load is refused with its line, and nothing changes.
  dir_.write("kassangas.lua", "return {\n route = function( end }");
  try {
    import(dir_.write("kassangas.yaml", yaml));
    FAIL() << "a broken script was imported";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("kassangas.lua:2:"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM tenant_scripts"), 2);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, TenantImport,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

}  // namespace
}  // namespace baraza
