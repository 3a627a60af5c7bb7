#include "tenancy/tenant_file.h"

#include <gtest/gtest.h>

#include "support/test_env.h"

namespace baraza {
namespace {

const std::string kGood =
    "slug: shop\nname: Shop\nchannels:\n  - phone_number_id: \"123\"\n"
    "    access_token: tok-abcdef\n";

std::string errorOf(const std::string& yaml) {
  test::TempDir dir;
  std::string file = dir.write("t.yaml", yaml);
  try {
    readTenantFile(file);
  } catch (const ConfigError& e) {
    std::string msg = e.what();
    return msg.substr(msg.find("t.yaml"));
  }
  return "";
}

TEST(TenantFile, TheExamplesAreValid) {
  auto k = readTenantFile(test::sourceDir() + "/examples/tenants/kassangas.yaml");
  EXPECT_EQ(k.slug, "kassangas");
  EXPECT_EQ(k.templates.size(), 3u);
  EXPECT_EQ(k.knowledge.size(), 9u);
  ASSERT_EQ(k.channels.size(), 1u);
  EXPECT_EQ(k.channels[0].phone_number_id, "119202345678901");
  EXPECT_EQ(k.settings["max_messages_per_hour"], 100);
  EXPECT_EQ(k.settings["payment_flow"], false) << "defaults fill what the file leaves out";
  auto agent = readTenantFile(test::sourceDir() + "/examples/tenants/nyumba-realty-otieno.yaml");
  EXPECT_EQ(agent.organization, "nyumba-realty");
}

TEST(TenantFile, ProblemsNameFileLineAndKey) {
  EXPECT_EQ(errorOf(kGood + "colour: red\n"), "t.yaml:6:1: colour: unknown key");
  EXPECT_EQ(errorOf("name: Shop\n"), "t.yaml:1: slug: is required");
  EXPECT_EQ(errorOf("slug: Bad Slug\nname: x\n"),
            "t.yaml:1: slug: must be 1-63 characters of [a-z0-9-], not starting with -");
  EXPECT_EQ(errorOf("slug: s\nname: n\nchannels:\n  - phone_number_id: abc\n    access_token: t\n"),
            "t.yaml:4: channels[0].phone_number_id: is required and must be digits");
  EXPECT_EQ(errorOf("slug: s\nname: n\nchannels:\n  - phone_number_id: \"1\"\n"),
            "t.yaml:4: channels[0].access_token: is required (as access_token, _env or _file)");
  EXPECT_EQ(errorOf(kGood + "templates:\n  - {name: a, system_prompt: p, default: true}\n"
                            "  - {name: b, system_prompt: p, default: true}\n"),
            "t.yaml:8: templates[1].default: only one template may be the default");
  EXPECT_EQ(errorOf(kGood + "faq:\n  - {question: q, answer: a, type: gossip}\n"),
            "t.yaml:7: faq[0].type: must be faq, canned_reply, example or rule");
  EXPECT_EQ(errorOf(kGood + "faq:\n  - {question: q, answer: a, priority: 11}\n"),
            "t.yaml:7: faq[0].priority: must be 1-10");
  EXPECT_EQ(
      errorOf(kGood + "settings:\n  max_messages_per_hour: -1\n"),
      "t.yaml:7: settings.max_messages_per_hour: must be a whole number from 0 to 2000000000");
  EXPECT_EQ(errorOf(kGood + "settings:\n  bot_enabled: perhaps\n"),
            "t.yaml:7:16: settings.bot_enabled: expected boolean, got 'perhaps'");
}

TEST(TenantFile, TokensMayComeFromTheEnvironmentButMustBeThere) {
  std::string yaml =
      "slug: s\nname: n\nchannels:\n  - phone_number_id: \"1\"\n"
      "    access_token_env: TEST_TENANT_TOKEN\n";
  unsetenv("TEST_TENANT_TOKEN");
  EXPECT_NE(errorOf(yaml).find("TEST_TENANT_TOKEN is not set"), std::string::npos);
  test::ScopedEnv env("TEST_TENANT_TOKEN", "from-env-1234");
  test::TempDir dir;
  EXPECT_EQ(readTenantFile(dir.write("t.yaml", yaml)).channels[0].access_token, "from-env-1234");
}

TEST(TenantFile, EnvironmentVariablesDoNotOverrideTenantData) {
  test::ScopedEnv env("BARAZA_SLUG", "hijacked");
  test::TempDir dir;
  EXPECT_EQ(readTenantFile(dir.write("t.yaml", kGood)).slug, "shop");
}

}  // namespace
}  // namespace baraza
