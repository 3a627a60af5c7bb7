#include "storage/migrator.h"

#include <gtest/gtest.h>

#include <memory>

#include "support/test_env.h"

namespace baraza {
namespace {

// Every case runs on both dialects: SQLite in a temp folder, PostgreSQL on the throwaway
// server of tools/test.sh.
class MigratorTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    target_ = std::make_unique<test::DialectDatabase>(GetParam());
    db_ = std::make_unique<Database>(target_->url(), 2, std::chrono::milliseconds(2000));
  }

  std::string migrationsWith(const std::map<std::string, std::string>& files) {
    for (const auto& [name, sql] : files) {
      dir_.write(std::string("migrations/") + dialectName(GetParam()) + "/" + name, sql);
    }
    return dir_.file("migrations");
  }

  bool tableExists(const std::string& table) {
    auto s = db_->lease();
    int n = 0;
    if (GetParam() == Dialect::kSqlite) {
      **s << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t",
          soci::use(table), soci::into(n);
    } else {
      **s << "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = :t",
          soci::use(table), soci::into(n);
    }
    return n > 0;
  }

  test::TempDir dir_;
  std::unique_ptr<test::DialectDatabase> target_;
  std::unique_ptr<Database> db_;
};

TEST_P(MigratorTest, EmbeddedMigrationsApplyOnceAndRerunAppliesNothing) {
  auto migrations = embeddedMigrations(GetParam());
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations.front().file,
            std::string(dialectName(GetParam())) + "/0001_core_schema.sql");
  Migrator migrator(*db_, migrations);
  EXPECT_EQ(migrator.apply(), static_cast<int>(migrations.size()));
  EXPECT_EQ(migrator.apply(), 0);
  for (const auto& table : {"tenants", "channel_accounts", "tenant_settings", "prompt_templates",
                            "knowledge_entries", "contacts", "conversations", "messages"}) {
    EXPECT_TRUE(tableExists(table)) << table;
  }
  for (const auto& s : migrator.status()) {
    EXPECT_TRUE(s.applied);
    EXPECT_FALSE(s.modified);
    EXPECT_FALSE(s.applied_at.empty());
  }
}

TEST_P(MigratorTest, FailingMigrationRollsBackAndNamesFileAndError) {
  std::string dir = migrationsWith({
      {"0001_first.sql", "CREATE TABLE first_table (id INTEGER PRIMARY KEY);"},
      {"0002_broken.sql", "CREATE TABLE half_done (id INTEGER);\nCREATE TABLE oops (;"},
      {"0003_never.sql", "CREATE TABLE never_reached (id INTEGER);"},
  });
  Migrator migrator(*db_, loadMigrationDir(dir, GetParam()));
  try {
    migrator.apply();
    FAIL() << "the broken migration was applied";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find(std::string(dialectName(GetParam())) + "/0002_broken.sql"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("rolled back"), std::string::npos) << msg;
    EXPECT_NE(msg.find("syntax error"), std::string::npos) << msg;
  }
  EXPECT_TRUE(tableExists("first_table"));
  EXPECT_FALSE(tableExists("half_done")) << "the failing migration's first statement survived";
  EXPECT_FALSE(tableExists("never_reached")) << "the run went on after a failure";
  auto status = migrator.status();
  ASSERT_EQ(status.size(), 3u);
  EXPECT_TRUE(status[0].applied);
  EXPECT_FALSE(status[1].applied);
  EXPECT_FALSE(status[2].applied);
}

// The script and its record in schema_migrations commit together: here the script succeeds
// but recording it fails, and the script's work must be gone too.
TEST_P(MigratorTest, AMigrationWhoseRecordFailsLeavesNothingBehind) {
  std::string refuse_record =
      GetParam() == Dialect::kSqlite
          ? "CREATE TABLE half_done (id INTEGER);\n"
            "CREATE TRIGGER refuse BEFORE INSERT ON schema_migrations WHEN NEW.version = 2\n"
            "BEGIN SELECT RAISE(ABORT, 'record refused'); END;"
          : "CREATE TABLE half_done (id INTEGER);\n"
            "ALTER TABLE schema_migrations ADD CONSTRAINT refuse CHECK (version <> 2);";
  std::string dir = migrationsWith({
      {"0001_first.sql", "CREATE TABLE first_table (id INTEGER PRIMARY KEY);"},
      {"0002_refused.sql", refuse_record},
  });
  Migrator migrator(*db_, loadMigrationDir(dir, GetParam()));
  try {
    migrator.apply();
    FAIL() << "the refused record went unnoticed";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("0002_refused.sql failed and was rolled back"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(tableExists("first_table"));
  EXPECT_FALSE(tableExists("half_done")) << "the script committed without its record";
  EXPECT_FALSE(migrator.status()[1].applied);
  // The trigger or constraint went with the rollback, so a fixed file now applies.
  migrationsWith({{"0002_refused.sql", "CREATE TABLE half_done (id INTEGER);"}});
  EXPECT_EQ(Migrator(*db_, loadMigrationDir(dir, GetParam())).apply(), 1);
  EXPECT_TRUE(tableExists("half_done"));
}

TEST_P(MigratorTest, EditedOldMigrationIsRefused) {
  std::string dir = migrationsWith({{"0001_first.sql", "CREATE TABLE a (id INTEGER);"}});
  Migrator(*db_, loadMigrationDir(dir, GetParam())).apply();
  migrationsWith({{"0001_first.sql", "CREATE TABLE a (id INTEGER, extra TEXT);"}});
  Migrator edited(*db_, loadMigrationDir(dir, GetParam()));
  EXPECT_TRUE(edited.status()[0].modified);
  EXPECT_THROW(edited.apply(), StorageError);
}

TEST_P(MigratorTest, NewMigrationIsAppliedAfterOldOnes) {
  std::string dir = migrationsWith({{"0001_first.sql", "CREATE TABLE a (id INTEGER);"}});
  EXPECT_EQ(Migrator(*db_, loadMigrationDir(dir, GetParam())).apply(), 1);
  migrationsWith({{"0002_second.sql", "CREATE TABLE b (id INTEGER);"}});
  EXPECT_EQ(Migrator(*db_, loadMigrationDir(dir, GetParam())).apply(), 1);
  EXPECT_TRUE(tableExists("b"));
}

TEST_P(MigratorTest, MisnamedOrRepeatedFilesAreRefused) {
  std::string dir = migrationsWith({{"1_bad.sql", "SELECT 1;"}});
  EXPECT_THROW(loadMigrationDir(dir, GetParam()), StorageError);
  test::TempDir other;
  other.write(std::string(dialectName(GetParam())) + "/0001_a.sql", "SELECT 1;");
  other.write(std::string(dialectName(GetParam())) + "/0001_b.sql", "SELECT 1;");
  EXPECT_THROW(loadMigrationDir(other.path().string(), GetParam()), StorageError);
}

INSTANTIATE_TEST_SUITE_P(BothDialects, MigratorTest,
                         ::testing::Values(Dialect::kSqlite, Dialect::kPostgresql),
                         [](const auto& info) { return std::string(dialectName(info.param)); });

TEST(DatabaseUrl, ParsesBothDialectsAndRefusesOthers) {
  EXPECT_EQ(parseDatabaseUrl("sqlite://data/x.db").dialect, Dialect::kSqlite);
  EXPECT_EQ(parseDatabaseUrl("sqlite://data/x.db").sqlite_path, "data/x.db");
  EXPECT_EQ(parseDatabaseUrl("sqlite:///var/lib/x.db").sqlite_path, "/var/lib/x.db");
  EXPECT_EQ(parseDatabaseUrl("postgresql://u@h/db").dialect, Dialect::kPostgresql);
  EXPECT_EQ(parseDatabaseUrl("postgres://u@h/db").dialect, Dialect::kPostgresql);
  EXPECT_THROW(parseDatabaseUrl("mysql://u@h/db"), ConfigError);
  EXPECT_THROW(parseDatabaseUrl("sqlite://"), ConfigError);
  EXPECT_THROW(parseDatabaseUrl("sqlite://:memory:"), ConfigError);
}

// Defect 4 of issue 17: with `synchronous=normal` a power cut could roll back a webhook already
// answered 200. Every pooled connection syncs each commit.
TEST(DatabaseOpen, SqliteSyncsEveryCommitOnEveryConnection) {
  test::TempDir dir;
  Database db("sqlite://" + (dir.path() / "durable.db").string(), 3,
              std::chrono::milliseconds(1000));
  std::vector<Database::Lease> leases;
  for (int i = 0; i < 3; ++i) {
    auto lease = db.lease();
    ASSERT_TRUE(lease);
    int level = -1;
    **lease << "pragma synchronous", soci::into(level);
    EXPECT_EQ(level, 2) << "connection " << i << ": 2 is FULL";
    leases.push_back(std::move(*lease));
  }
}

// A peer that vanished without a reset must not hold a connection for the kernel's ~15 minutes;
// what the operator's URL sets wins, once.
TEST(DatabaseUrl, PostgresqlGetsKeepalivesAndTimeoutsUnlessTheUrlSetsThem) {
  std::string plain = parseDatabaseUrl("postgresql://u@h/db").connect_string;
  for (const char* option :
       {"connect_timeout='5'", "keepalives='1'", "keepalives_idle='30'", "keepalives_interval='10'",
        "keepalives_count='3'", "tcp_user_timeout='30000'"})
    EXPECT_NE(plain.find(option), std::string::npos) << option << " in " << plain;
  std::string own = parseDatabaseUrl("postgresql://u@h/db?connect_timeout=9&tcp_user_timeout=1000")
                        .connect_string;
  EXPECT_NE(own.find("connect_timeout='9'"), std::string::npos) << own;
  EXPECT_EQ(own.find("connect_timeout='5'"), std::string::npos) << own;
  EXPECT_EQ(own.find("tcp_user_timeout='30000'"), std::string::npos) << own;
}

TEST(DatabaseOpen, UnreachableServerIsAnErrorWithTheUrlMasked) {
  try {
    Database db("postgresql://u:hunter2-pw@127.0.0.1:1/x", 1, std::chrono::milliseconds(100));
    FAIL() << "connected to nothing";
  } catch (const StorageError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("cannot open database postgresql://u:********@127.0.0.1:1/x"),
              std::string::npos)
        << msg;
    EXPECT_EQ(msg.find("hunter2-pw"), std::string::npos);
  }
}

}  // namespace
}  // namespace baraza
