#include "config/engine_config.h"

#include <gtest/gtest.h>

#include "log/redactor.h"
#include "support/test_env.h"

namespace baraza {
namespace {

TEST(EngineConfig, DefaultsWithoutAFileAreTheEmbeddedSetup) {
  EngineConfig cfg = loadEngineConfig("");
  EXPECT_EQ(cfg.server.host, "127.0.0.1");
  EXPECT_EQ(cfg.server.port, 8080);
  EXPECT_EQ(cfg.server.max_body_bytes, 3145728u);
  EXPECT_EQ(cfg.database.url, "sqlite://data/baraza.db");
  EXPECT_FALSE(cfg.plugins.load.has_value());
}

TEST(EngineConfig, TheExampleConfigIsValid) {
  EngineConfig cfg = loadEngineConfig(test::sourceDir() + "/examples/config.yaml");
  EXPECT_EQ(cfg.server.port, 8080);
  EXPECT_EQ(cfg.database.url.rfind("sqlite://", 0), 0u);
}

TEST(EngineConfig, PluginSectionsAreKeptForTheirPlugins) {
  test::TempDir dir;
  auto file = dir.write("c.yaml", "channels:\n  whatsapp:\n    verify_token: x\n");
  EngineConfig cfg = loadEngineConfig(file);
  ASSERT_EQ(cfg.plugin_sections.count("channels.whatsapp"), 1u);
  EXPECT_EQ(cfg.plugin_sections["channels.whatsapp"]["verify_token"].as<std::string>(), "x");
}

TEST(EngineConfig, BadValuesAreErrorsNamingTheKey) {
  test::TempDir dir;
  auto expectError = [&](const std::string& yaml, const std::string& fragment) {
    auto file = dir.write("c.yaml", yaml);
    try {
      loadEngineConfig(file);
      ADD_FAILURE() << "no error for " << yaml;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expectError("server:\n  listen: nowhere\n", "server.listen: expected host:port");
  expectError("server:\n  listen: \"h:99999\"\n", "bad port");
  expectError("server:\n  threads: 0\n", "server.threads: must be between 1 and 256, got 0");
  expectError("server:\n  shutdown_timeout_ms: 3000000000\n",
              "server.shutdown_timeout_ms: must be between 0 and 3600000");
  expectError("server:\n  ? [a, b]\n  : 1\n", "server: keys must be plain names");
  expectError("server: [1, 2\n", "YAML syntax error");
  expectError("channels: 3\n", "channels: must be a map");
}

TEST(EngineConfig, MissingFileIsAnError) {
  EXPECT_THROW(loadEngineConfig("/nonexistent/baraza.yaml"), ConfigError);
}

TEST(EngineConfig, DatabasePasswordIsMaskedAndRedacted) {
  test::ScopedEnv url("BARAZA_DATABASE_URL", "postgresql://app:pa55word-xyz@db:5432/baraza");
  EngineConfig cfg = loadEngineConfig("");
  EXPECT_EQ(maskUrlPassword(cfg.database.url), "postgresql://app:********@db:5432/baraza");
  EXPECT_EQ(toYaml(printableConfig(cfg)).find("pa55word-xyz"), std::string::npos);
  EXPECT_EQ(Redactor::instance().redact("connecting with pa55word-xyz"),
            "connecting with [redacted]");
  EXPECT_EQ(urlPassword("postgresql://app@db/x"), std::nullopt);
  EXPECT_EQ(maskUrlPassword("sqlite://data/b.db"), "sqlite://data/b.db");
  EXPECT_EQ(maskUrlPassword("postgresql://h/db?sslmode=require&password=q-secret-77"),
            "postgresql://h/db?sslmode=require&password=********");
  EXPECT_EQ(urlSecrets("postgresql://u:a@h/db?password=b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(maskUrlPassword("postgresql://u@h/db?x=@y"), "postgresql://u@h/db?x=@y");
}

}  // namespace
}  // namespace baraza
