// The `baraza` command line as an operator uses it: exit codes, messages, masking.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "baraza/plugin_api.h"
#include "storage/migrator.h"
#include "support/engine_process.h"
#include "support/test_env.h"

namespace baraza::test {
namespace {

const size_t kMigrations = embeddedMigrations(Dialect::kSqlite).size();

int lineCount(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

TEST(Cli, HelpAndVersionExitZero) {
  auto help = runBaraza({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"serve", "migrate", "check-config", "version"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
    auto sub = runBaraza({cmd, "--help"});
    EXPECT_EQ(sub.exit_code, 0) << cmd;
    EXPECT_NE(sub.out.find(std::string("baraza ") + cmd), std::string::npos) << sub.out;
  }
  auto version = runBaraza({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("baraza ") + BARAZA_VERSION + " (plugin ABI " +
                             std::to_string(BARAZA_PLUGIN_ABI_MAJOR) + "." +
                             std::to_string(BARAZA_PLUGIN_ABI_MINOR) + ")\n");
}

TEST(Cli, BadUsageExitsTwoWithOneLine) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"frobnicate"}, {"serve", "--bogus"}, {"migrate", "--config"}, {"version", "x"}}) {
    auto r = runBaraza(args);
    EXPECT_EQ(r.exit_code, 2);
    if (!args.empty()) {
      EXPECT_EQ(lineCount(r.err), 1) << r.err;
      EXPECT_EQ(r.err.rfind("baraza: ", 0), 0u) << r.err;
    }
  }
}

TEST(Cli, InvalidConfigExitsOneNamingFileLineAndKey) {
  TempDir dir;
  auto file = dir.write("bad.yaml", "server:\n  listen: \"127.0.0.1:1\"\n  thread: 4\n");
  for (const char* cmd : {"check-config", "serve", "migrate"}) {
    auto r = runBaraza({cmd, "--config", file});
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_EQ(r.err, "baraza: " + file + ":3:3: server.thread: unknown key\n") << cmd;
  }
}

TEST(Cli, CheckConfigPrintsTheEffectiveConfigWithSecretsMasked) {
  TempDir dir;
  auto secret_file = dir.write("token", "file-token-987654\n");
  auto file = dir.write(
      "c.yaml", "admin:\n  token_file: " + secret_file +
                    "\ndatabase:\n  url: \"postgresql://app:db-pass-4242@127.0.0.1:1/x\"\n");
  auto r =
      runBaraza({"check-config", "--config", file},
                {{"BARAZA_SERVER_THREADS", "7"}, {"BARAZA_PLUGINS_DIR", binaryDir() + "/plugins"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("threads: 7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("token: \"********\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("postgresql://app:********@127.0.0.1:1/x"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loopback:"), std::string::npos) << "plugin sections are checked too";
  for (const auto& text : {r.out, r.err}) {
    EXPECT_EQ(text.find("file-token-987654"), std::string::npos);
    EXPECT_EQ(text.find("db-pass-4242"), std::string::npos);
  }
}

TEST(Cli, MigrateAppliesThenReportsStatusAndRerunsAsNoOp) {
  TempDir dir;
  std::map<std::string, std::string> env = {
      {"BARAZA_DATABASE_URL", "sqlite://" + dir.file("m.db")}};
  auto before = runBaraza({"migrate", "--status"}, env);
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("0001  core_schema"), std::string::npos) << before.out;
  EXPECT_NE(before.out.find("pending"), std::string::npos);
  auto first = runBaraza({"migrate"}, env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out.rfind(std::to_string(kMigrations) + " migration(s) applied", 0), 0u)
      << first.out;
  auto again = runBaraza({"migrate"}, env);
  EXPECT_EQ(again.out.rfind("0 migration(s) applied", 0), 0u) << again.out;
  auto after = runBaraza({"migrate", "--status"}, env);
  EXPECT_NE(after.out.find("applied 20"), std::string::npos) << after.out;
}

TEST(Cli, AFailingMigrationExitsOneNamingFileAndDatabaseError) {
  TempDir dir;
  dir.write("mig/sqlite/0001_ok.sql", "CREATE TABLE t (id INTEGER);");
  dir.write("mig/sqlite/0002_bad.sql", "CREATE TABLE u (;");
  auto r = runBaraza({"migrate"}, {{"BARAZA_DATABASE_URL", "sqlite://" + dir.file("m.db")},
                                   {"BARAZA_DATABASE_MIGRATIONS_DIR", dir.file("mig")}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lineCount(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("migration sqlite/0002_bad.sql failed and was rolled back: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("syntax error"), std::string::npos) << r.err;
}

TEST(Cli, UnreachableDatabaseExitsOneWithOneLine) {
  auto r =
      runBaraza({"serve"}, {{"BARAZA_DATABASE_URL", "postgresql://u:pw-secret-1@127.0.0.1:1/x"},
                            {"BARAZA_PLUGINS_DIR", binaryDir() + "/plugins"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lineCount(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("baraza: cannot open database postgresql://u:********@127.0.0.1:1/x"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("pw-secret-1"), std::string::npos);
}

TEST(Cli, AUrlNoBackendTakesFailsTheConfigCheck) {
  auto r = runBaraza({"check-config"}, {{"BARAZA_DATABASE_URL", "mysql://u@h/db"},
                                        {"BARAZA_PLUGINS_DIR", binaryDir() + "/plugins"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("expected sqlite://PATH or postgresql://"), std::string::npos) << r.err;
}

TEST(Cli, MigrateStatusOnAFreshDatabaseWritesNothing) {
  TempDir dir;
  auto r =
      runBaraza({"migrate", "--status"}, {{"BARAZA_DATABASE_URL", "sqlite://" + dir.file("s.db")}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto sql = runBaraza({"migrate"}, {{"BARAZA_DATABASE_URL", "sqlite://" + dir.file("s.db")}});
  EXPECT_EQ(sql.out.rfind(std::to_string(kMigrations) + " migration(s) applied", 0), 0u) << sql.out;
}

TEST(Cli, MissingPluginExitsOneNamingIt) {
  auto r = runBaraza({"check-config"}, {{"BARAZA_PLUGINS_DIR", binaryDir() + "/plugins"},
                                        {"BARAZA_PLUGINS_LOAD", "loopback,telegram"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plugin 'telegram' named in plugins.load was not found"), std::string::npos)
      << r.err;
}

TEST(Cli, TenantImportSealsTheCanaryTokenEverywhere) {
  TempDir dir;
  const std::string canary = "EAAX-CANARY-7f3a9c1d2e";
  std::map<std::string, std::string> env = {
      {"BARAZA_DATABASE_URL", "sqlite://" + dir.file("t.db")},
      {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")},
      {"BARAZA_LOG_LEVEL", "debug"},
      {"CANARY_TOKEN", canary}};
  auto file = dir.write("canary.yaml",
                        "slug: canary\nname: Canary\nchannels:\n  - phone_number_id: \"555\"\n"
                        "    access_token_env: CANARY_TOKEN\n");
  auto first = runBaraza({"tenant", "import", file}, env);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(first.out, "canary: created (1 channel(s), 0 template(s), 0 knowledge entries)\n");
  auto again = runBaraza({"tenant", "import", file}, env);
  EXPECT_EQ(again.out, "canary: updated (1 channel(s), 0 template(s), 0 knowledge entries)\n");
  std::string hex;
  for (unsigned char c : canary) {
    char b[3];
    std::snprintf(b, sizeof(b), "%02x", c);
    hex += b;
  }
  for (const char* name : {"t.db", "t.db-wal", "t.db-shm"}) {
    std::ifstream in(dir.file(name), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    EXPECT_EQ(bytes.str().find(canary), std::string::npos) << name;
    EXPECT_EQ(bytes.str().find(hex), std::string::npos) << name;
  }
  for (const auto& text : {first.out, first.err, again.out, again.err}) {
    EXPECT_EQ(text.find(canary), std::string::npos) << text;
  }
}

TEST(Cli, KeysRotateResealsAndRetires) {
  TempDir dir;
  std::map<std::string, std::string> env = {
      {"BARAZA_DATABASE_URL", "sqlite://" + dir.file("t.db")},
      {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")}};
  ASSERT_EQ(runBaraza({"tenant", "import", sourceDir() + "/examples/tenants/kassangas.yaml"}, env)
                .exit_code,
            0);
  auto r = runBaraza({"keys", "rotate"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2 value(s) re-sealed under key k2; retired: k1\n");
  std::ifstream in(dir.file("master.key"));
  std::stringstream ring;
  ring << in.rdbuf();
  EXPECT_NE(ring.str().find("retired k1 "), std::string::npos);
  EXPECT_EQ(runBaraza({"keys", "spin"}, env).exit_code, 2);
}

TEST(Cli, ABadTenantFileExitsOneNamingFileLineAndKeyAndChangesNothing) {
  TempDir dir;
  std::map<std::string, std::string> env = {
      {"BARAZA_DATABASE_URL", "sqlite://" + dir.file("t.db")},
      {"BARAZA_SECURITY_MASTER_KEY_FILE", dir.file("master.key")}};
  auto bad = dir.write("bad.yaml", "slug: shop\nname: Shop\nchanels: []\n");
  auto r = runBaraza({"tenant", "import", bad}, env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "baraza: " + bad + ":3:1: chanels: unknown key\n");
  EXPECT_EQ(runBaraza({"tenant", "import"}, env).exit_code, 2);
  EXPECT_EQ(runBaraza({"tenant", "export", bad}, env).exit_code, 2);
}

TEST(Docs, ConfigurationReferenceMatchesTheKeyTables) {
  auto r = runBaraza({"config-docs"}, {{"BARAZA_PLUGINS_DIR", binaryDir() + "/plugins"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(sourceDir() + "/docs/configuration.md");
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(committed.str(), r.out)
      << "docs/configuration.md is stale: regenerate it with "
         "BARAZA_PLUGINS_DIR=build/plugins build/baraza config-docs > docs/configuration.md";
}

TEST(Docs, ScriptingReferenceMatchesTheApiTables) {
  auto r = runBaraza({"script", "docs"}, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(readFileText(sourceDir() + "/docs/scripting.md"), r.out)
      << "docs/scripting.md is stale: regenerate it with build/baraza script docs > "
         "docs/scripting.md";
}

TEST(ScriptCli, CheckReportsLinesAndWarnings) {
  TempDir dir;
  std::string good = dir.write("shop.lua",
                               "local seen = 0\nreturn {\n  route = function(ctx, msg)\n"
                               "    last = msg.text\n    return stirng.lower(msg.text)\n  end,\n"
                               "  on_mesage = function() end,\n}\n");
  auto r = runBaraza({"script", "check", good}, {});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(good + ":4: warning: assigns global 'last' inside a function"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(good + ":5: warning: reads global 'stirng'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("'on_mesage' is not a hook"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(good + ": ok (hooks: route; 3 warning(s))"), std::string::npos) << r.out;

  std::string broken = dir.write("broken.lua", "return {\n  route = function(ctx\n}\n");
  r = runBaraza({"script", "check", broken}, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.lua:3:"), std::string::npos) << r.err;
  EXPECT_EQ(runBaraza({"script", "check"}, {}).exit_code, 2);
  EXPECT_EQ(runBaraza({"script", "lint", good}, {}).exit_code, 2);
  EXPECT_EQ(runBaraza({"script", "check", dir.file("missing.lua")}, {}).exit_code, 1);
}

TEST(ScriptCli, TestPrintsRouteReplyEscalationAndLogs) {
  std::string examples = sourceDir() + "/examples/tenants/";
  auto r = runBaraza({"script", "test", examples + "kassangas.lua", "--tenant-file",
                      examples + "kassangas.yaml", "--message", "I want a human"},
                     {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "route: script\n"
            "reply: {\"kind\":\"text\",\"text\":\"Karibu! A member of our team will call you "
            "shortly.\\n- Kassangas Music Shop\"}\n"
            "escalation: {\"priority\":\"high\",\"reason\":\"asked for a person\",\"to\":"
            "\"254700000001\"}\n");
  r = runBaraza({"script", "test", examples + "kassangas.lua"}, {});
  EXPECT_EQ(r.exit_code, 2) << "--message is required";
}

}  // namespace
}  // namespace baraza::test
