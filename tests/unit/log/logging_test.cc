#include "log/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "log/redactor.h"

namespace baraza {
namespace {

class Logging : public ::testing::Test {
 protected:
  void TearDown() override { setupLogging(LogFormat::kText, spdlog::level::info); }
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> capture() {
    return std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
  }
  std::ostringstream out_;
};

TEST_F(Logging, TextLinesRedactRegisteredSecrets) {
  Redactor::instance().add("EAAXsecrettoken123");
  setupLogging(LogFormat::kText, spdlog::level::info, capture());
  spdlog::info("sending with token {}", "EAAXsecrettoken123");
  std::string line = out_.str();
  EXPECT_EQ(line.find("EAAXsecrettoken123"), std::string::npos);
  EXPECT_NE(line.find("sending with token [redacted]"), std::string::npos);
  EXPECT_NE(line.find(" info "), std::string::npos);
}

TEST_F(Logging, JsonLinesAreValidJsonAndRedacted) {
  Redactor::instance().add("sk-live-abcdef");
  setupLogging(LogFormat::kJson, spdlog::level::debug, capture());
  spdlog::warn("key \"sk-live-abcdef\" failed\nwith newline");
  std::string line = out_.str();
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << "one event, one line";
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "key \"[redacted]\" failed\nwith newline");
  EXPECT_TRUE(j.contains("ts"));
}

TEST_F(Logging, LevelFiltersLines) {
  setupLogging(LogFormat::kText, spdlog::level::warn, capture());
  spdlog::info("quiet");
  spdlog::error("loud");
  EXPECT_EQ(out_.str().find("quiet"), std::string::npos);
  EXPECT_NE(out_.str().find("loud"), std::string::npos);
}

TEST(Redactor, ShortValuesAreIgnoredAndLongestSecretWins) {
  Redactor r;
  r.add("on");
  r.add("abcd1234");
  r.add("abcd1234-extended");
  EXPECT_EQ(r.redact("on abcd1234-extended abcd1234"), "on [redacted] [redacted]");
}

TEST(Redactor, EveryOccurrenceGoesWhereverItStartsAndEnds) {
  Redactor r;
  r.add("EAAG-tenant-one");
  r.add("EAAG-tenant-one-longer");
  r.add("sk-or-v1-key");
  r.add("sk-or-v1-key");  // twice is once
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.redact("EAAG-tenant-one"), "[redacted]");
  EXPECT_EQ(r.redact("xEAAG-tenant-one-longery sk-or-v1-keysk-or-v1-key EAAG-tenant-on"),
            "x[redacted]y [redacted][redacted] EAAG-tenant-on");
  EXPECT_EQ(r.redact("abc"), "abc");
  EXPECT_EQ(r.redact(""), "");
}

TEST(Redactor, OverlappingSecretsAreMaskedAsOne) {
  Redactor r;
  r.add("abcd1234");
  r.add("1234efgh-long");  // starts inside the first and ends after it
  EXPECT_EQ(r.redact("xxabcd1234efgh-longyy"), "xx[redacted]yy");
}

TEST(Redactor, ThousandsOfTenantSecretsAreAllMasked) {
  Redactor r;
  for (int i = 0; i < 3000; ++i)
    r.add("EAAG" + std::to_string(1000000 + i) + "tok");
  std::string line = "graph said: bad token EAAG1002999tok; retry with EAAG1000000tok";
  EXPECT_EQ(r.redact(line), "graph said: bad token [redacted]; retry with [redacted]");
}

TEST(LogConfig, BadNamesAreRejected) {
  EXPECT_THROW(parseLogFormat("xml"), std::invalid_argument);
  EXPECT_THROW(parseLogLevel("loud"), std::invalid_argument);
  EXPECT_EQ(parseLogLevel("warn"), spdlog::level::warn);
}

}  // namespace
}  // namespace baraza
