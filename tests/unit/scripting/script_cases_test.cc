// The data-driven script tests: every tests/scripts/**/*.yaml is one case, a script (a file
// or inline source) plus a message, run through the hooks as the pipeline runs them, with the
// expected route, reply, escalation, log lines, failures and kv (tests/scripts/README.md).
#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "core/iso_time.h"
#include "scripting/script_tester.h"
#include "support/test_env.h"

namespace baraza {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json yamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node)
        out[kv.first.as<std::string>()] = yamlToJson(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node)
        out.push_back(yamlToJson(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      std::string text = node.Scalar();
      if (node.Tag() == "!")  // quoted: always a string
        return text;
      if (text == "true" || text == "false")
        return text == "true";
      char* end = nullptr;
      long long n = std::strtoll(text.c_str(), &end, 10);
      if (!text.empty() && *end == '\0')
        return n;
      double d = std::strtod(text.c_str(), &end);
      if (!text.empty() && *end == '\0')
        return d;
      return text;
    }
    default:
      return nullptr;
  }
}

std::vector<std::string> caseFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(test::sourceDir() + "/tests/scripts")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml")
      files.push_back(fs::relative(e.path(), test::sourceDir() + "/tests/scripts").string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class ScriptCase : public ::testing::TestWithParam<std::string> {};

TEST_P(ScriptCase, ProducesWhatItExpects) {
  fs::path file = fs::path(test::sourceDir()) / "tests/scripts" / GetParam();
  YAML::Node doc = YAML::LoadFile(file.string());
  json c = yamlToJson(doc);
  std::string source = c.value("source", "");
  std::string name = "inline.lua";
  if (c.contains("script")) {
    fs::path script = file.parent_path() / c["script"].get<std::string>();
    source = test::readFileText(script.string());
    name = script.filename().string();
    ASSERT_FALSE(source.empty()) << "cannot read " << script;
  }
  ScriptTestCase test;
  json message = c.value("message", json::object());
  if (message.is_string())
    message = {{"text", message}};
  message.emplace("type", "text");
  message.emplace("id", "wamid.CASE");
  message.emplace("from",
                  json{{"wa_id", c.value("from", "254711000111")}, {"profile_name", "Case"}});
  test.message = message;
  test.settings = c.value("settings", json::object());
  test.tenant_slug = fs::path(name).stem().string();
  if (c.contains("at")) {
    auto at = parseIsoUtc(c["at"].get<std::string>());
    ASSERT_TRUE(at) << "at: not an ISO time";
    test.now_ms = static_cast<long long>(*at) * 1000;
  }
  int n = 0;
  for (const auto& f : c.value("faq", json::array())) {
    KnowledgeSpec k;
    k.question = f.value("question", "");
    k.answer = f.value("answer", "");
    for (const auto& w : f.value("keywords", json::array()))
      k.keywords.push_back(w);
    test.knowledge.push_back({"faq-" + std::to_string(++n), k});
  }
  test.kv_delay_ms = c.value("kv_delay_ms", 0);
  const json kv_before = c.value("kv", json::object());
  for (const auto& [key, value] : kv_before.items())
    test.kv[key] = value.dump();
  ScriptingConfig config;
  config.limits.budget_ms = c.value("budget_ms", 50);

  auto start = std::chrono::steady_clock::now();
  ScriptTestResult r = testScript(source, name, test, config);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::string shown = formatScriptTestResult(r);
  const json expect = c.value("expect", json::object());

  if (expect.contains("load_error")) {
    EXPECT_NE(r.load_error.find(expect["load_error"].get<std::string>()), std::string::npos)
        << shown;
    return;
  }
  ASSERT_EQ(r.load_error, "") << shown;
  if (expect.contains("route"))
    EXPECT_EQ(r.route, expect["route"].get<std::string>()) << shown;
  if (expect.contains("reply")) {
    if (expect["reply"] == "none")
      EXPECT_FALSE(r.reply) << shown;
    else
      EXPECT_EQ(r.reply.value_or(json()), expect["reply"]) << shown;
  }
  if (expect.contains("reply_contains")) {
    ASSERT_TRUE(r.reply) << shown;
    EXPECT_NE(r.reply->dump().find(expect["reply_contains"].get<std::string>()), std::string::npos)
        << shown;
  }
  if (expect.contains("vetoed"))
    EXPECT_EQ(r.vetoed, expect["vetoed"].get<bool>()) << shown;
  if (expect.contains("escalation")) {
    if (expect["escalation"] == "none")
      EXPECT_FALSE(r.escalation) << shown;
    else
      EXPECT_EQ(r.escalation.value_or(json()), expect["escalation"]) << shown;
  }
  for (const auto& line : expect.value("logs", json::array())) {
    bool found = false;
    for (const auto& l : r.logs)
      found = found || l.find(line.get<std::string>()) != std::string::npos;
    EXPECT_TRUE(found) << "no log line with '" << line << "'\n" << shown;
  }
  // "route memory or route timeout": either stop is right (which comes first depends on the
  // machine's speed, e.g. under ASan).
  // A memory bomb meets the clock first where filling the cap takes longer than the budget.
  double fill = test::freshMemoryMs(config.limits.memory_bytes);
  bool slow_memory = fill > config.limits.budget_ms / 2.0;
  bool memory_case = false;
  for (const auto& failure : expect.value("failures", json::array())) {
    std::string wanted = failure.get<std::string>();
    if (size_t at = wanted.find(" memory"); at != std::string::npos) {
      memory_case = true;
      if (slow_memory && wanted.find("timeout") == std::string::npos)
        wanted += " or " + wanted.substr(0, at) + " timeout";
    }
    std::vector<std::string> options;
    for (size_t at = 0;;) {
      size_t next = wanted.find(" or ", at);
      options.push_back(wanted.substr(at, next == std::string::npos ? next : next - at));
      if (next == std::string::npos)
        break;
      at = next + 4;
    }
    bool found = false;
    for (const auto& f : r.failures) {
      for (const auto& option : options)
        found = found || f.find(option) != std::string::npos;
    }
    EXPECT_TRUE(found) << "no failure with '" << failure << "'\n" << shown;
  }
  if (!expect.contains("failures"))
    EXPECT_TRUE(r.failures.empty()) << shown;
  const json kv_after = expect.value("kv", json::object());
  for (const auto& [key, value] : kv_after.items()) {
    auto it = r.kv.find(key);
    ASSERT_NE(it, r.kv.end()) << "kv has no '" << key << "'\n" << shown;
    EXPECT_EQ(json::parse(it->second), value) << key;
  }
  for (const auto& key : expect.value("kv_absent", json::array()))
    EXPECT_EQ(r.kv.count(key.get<std::string>()), 0u) << "kv has '" << key << "'\n" << shown;
  // A hostile case is stopped within twice its budget (per hook that ran it).
  if (expect.contains("max_budgets")) {
    EXPECT_LT(ms, expect["max_budgets"].get<double>() * config.limits.budget_ms +
                      (memory_case ? 2.0 * fill : 0.0))
        << shown;
  }
}

INSTANTIATE_TEST_SUITE_P(Scripts, ScriptCase, ::testing::ValuesIn(caseFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (auto& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch)))
                               ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace baraza
