#include "config/config_schema.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "log/redactor.h"
#include "support/test_env.h"

namespace baraza {
namespace {

const Schema kSchema = {
    {"server.listen", KeyType::kString, "127.0.0.1:8080", "Where to listen."},
    {"server.threads", KeyType::kInt, "2", "Threads."},
    {"server.access_log", KeyType::kBool, "true", "Access log."},
    {"plugins.load", KeyType::kStringList, std::nullopt, "Plugins."},
    {"admin.token", KeyType::kSecret, std::nullopt, "Token."},
    {"apps", KeyType::kObjectList, std::nullopt, "Apps."},
    {"apps[].name", KeyType::kString, "default", "App name."},
    {"apps[].app_secret", KeyType::kSecret, std::nullopt, "App secret."},
};

nlohmann::json applyYaml(const std::string& yaml, std::vector<std::string>* warnings = nullptr,
                         const std::string& prefix = "") {
  std::vector<std::string> local;
  return applySchema(kSchema, YAML::Load(yaml), {"cfg.yaml", prefix, true},
                     warnings ? *warnings : local);
}

std::string errorOf(const std::string& yaml) {
  try {
    applyYaml(yaml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigSchema, DefaultsFillAnEmptyFile) {
  auto v = applyYaml("");
  EXPECT_EQ(v["server"]["listen"], "127.0.0.1:8080");
  EXPECT_EQ(v["server"]["threads"], 2);
  EXPECT_EQ(v["server"]["access_log"], true);
  EXPECT_FALSE(v["plugins"].contains("load"));
  EXPECT_TRUE(v["apps"].empty());
}

TEST(ConfigSchema, UnknownKeyNamesFileLineAndKey) {
  EXPECT_EQ(errorOf("server:\n  listen: \"x:1\"\n  bogus_key: 1\n"),
            "cfg.yaml:3:3: server.bogus_key: unknown key");
  EXPECT_EQ(errorOf("nonsense: true\n"), "cfg.yaml:1:1: nonsense: unknown key");
}

TEST(ConfigSchema, MistypedValueNamesTheExpectedType) {
  EXPECT_EQ(errorOf("server:\n  threads: many\n"),
            "cfg.yaml:2:12: server.threads: expected integer, got 'many'");
  EXPECT_EQ(errorOf("server:\n  access_log: maybe\n"),
            "cfg.yaml:2:15: server.access_log: expected boolean, got 'maybe'");
  EXPECT_EQ(errorOf("plugins:\n  load: whatsapp\n"),
            "cfg.yaml:2:9: plugins.load: expected a list of strings");
  EXPECT_EQ(errorOf("server: 5\n"), "cfg.yaml:1:9: server: must be a map");
}

TEST(ConfigSchema, DuplicateKeyIsAnError) {
  // yaml-cpp keeps the first of two equal keys silently; the loader must not.
  EXPECT_EQ(errorOf("server:\n  threads: 2\n  threads: 4\n"),
            "cfg.yaml:3:3: server.threads: duplicate key");
}

TEST(ConfigSchema, EnvironmentOverridesTheFile) {
  test::ScopedEnv threads("BARAZA_SERVER_THREADS", "8");
  test::ScopedEnv load("BARAZA_PLUGINS_LOAD", "whatsapp,faq");
  auto v = applyYaml("server:\n  threads: 2\n");
  EXPECT_EQ(v["server"]["threads"], 8);
  EXPECT_EQ(v["plugins"]["load"], nlohmann::json::array({"whatsapp", "faq"}));
}

TEST(ConfigSchema, MistypedEnvironmentValueIsAnError) {
  test::ScopedEnv threads("BARAZA_SERVER_THREADS", "eight");
  try {
    applyYaml("");
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(
        e.what(),
        "environment BARAZA_SERVER_THREADS: server.threads: expected integer, got 'eight'");
  }
}

TEST(ConfigSchema, PluginPrefixShapesEnvironmentNames) {
  EXPECT_EQ(envNameFor("channels.whatsapp", "verify_token"),
            "BARAZA_CHANNELS_WHATSAPP_VERIFY_TOKEN");
  test::ScopedEnv listen("BARAZA_CHANNELS_WHATSAPP_SERVER_LISTEN", "0.0.0.0:1");
  auto v = applyYaml("", nullptr, "channels.whatsapp");
  EXPECT_EQ(v["server"]["listen"], "0.0.0.0:1");
}

TEST(ConfigSchema, SecretFromLiteralEnvOrFileIsResolvedAndRedacted) {
  test::TempDir dir;
  std::string file = dir.write("token.txt", "file-secret-1234\n");
  test::ScopedEnv env("TEST_ADMIN_TOKEN", "env-secret-5678");
  EXPECT_EQ(applyYaml("admin:\n  token: literal-secret-9\n")["admin"]["token"], "literal-secret-9");
  EXPECT_EQ(applyYaml("admin:\n  token_env: TEST_ADMIN_TOKEN\n")["admin"]["token"],
            "env-secret-5678");
  EXPECT_EQ(applyYaml("admin:\n  token_file: " + file + "\n")["admin"]["token"],
            "file-secret-1234");
  std::string line = Redactor::instance().redact("a env-secret-5678 b file-secret-1234");
  EXPECT_EQ(line, "a [redacted] b [redacted]");
}

TEST(ConfigSchema, SecretGivenTwiceIsAnError) {
  EXPECT_NE(errorOf("admin:\n  token: a\n  token_env: B\n").find("give a secret once"),
            std::string::npos);
}

TEST(ConfigSchema, UnreadableSecretFileIsAnError) {
  EXPECT_EQ(errorOf("admin:\n  token_file: /nonexistent/token\n"),
            "cfg.yaml:2:3: admin.token_file: cannot read secret file '/nonexistent/token'");
}

TEST(ConfigSchema, UnsetSecretVariableIsAWarningNotAValue) {
  unsetenv("TEST_UNSET_VARIABLE");
  std::vector<std::string> warnings;
  auto v = applyYaml("admin:\n  token_env: TEST_UNSET_VARIABLE\n", &warnings);
  EXPECT_FALSE(v["admin"].contains("token"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("TEST_UNSET_VARIABLE is not set"), std::string::npos);
}

TEST(ConfigSchema, ObjectListsAreValidatedPerItem) {
  auto v =
      applyYaml("apps:\n  - name: shop\n    app_secret: s3cr3t-shop\n  - app_secret: other-1\n");
  ASSERT_EQ(v["apps"].size(), 2u);
  EXPECT_EQ(v["apps"][0]["name"], "shop");
  EXPECT_EQ(v["apps"][1]["name"], "default");
  EXPECT_EQ(errorOf("apps:\n  - name: a\n    colour: red\n"),
            "cfg.yaml:3:5: apps[0].colour: unknown key");
}

TEST(ConfigSchema, MaskSecretsHidesEverySecretIncludingListItems) {
  auto v = applyYaml("admin:\n  token: topsecret-a\napps:\n  - app_secret: topsecret-b\n");
  auto masked = maskSecrets(kSchema, v);
  EXPECT_EQ(masked["admin"]["token"], "********");
  EXPECT_EQ(masked["apps"][0]["app_secret"], "********");
  EXPECT_EQ(masked["apps"][0]["name"], "default");
  EXPECT_EQ(masked.dump().find("topsecret"), std::string::npos);
}

TEST(ConfigSchema, MarkdownListsEveryKeyWithItsEnvironmentName) {
  std::string md = renderSchemaMarkdown(kSchema, "");
  EXPECT_NE(md.find("| `server.threads` | integer | `2` | `BARAZA_SERVER_THREADS` |"),
            std::string::npos);
  EXPECT_NE(md.find("| `apps[].app_secret` | secret (or `_env`, `_file`) | — | — |"),
            std::string::npos);
}

}  // namespace
}  // namespace baraza
