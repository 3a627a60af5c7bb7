#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace baraza {
namespace {

TEST(Metrics, CountersRenderWithSortedEscapedLabels) {
  MetricsRegistry m;
  m.describe("jobs_total", "counter", "Jobs.");
  m.counterAdd("jobs_total", {{"z", "1"}, {"a", "say \"hi\""}}, 2);
  m.counterAdd("jobs_total", {{"a", "say \"hi\""}, {"z", "1"}}, 3);
  std::string text = m.renderPrometheus();
  EXPECT_NE(text.find("# HELP jobs_total Jobs.\n# TYPE jobs_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("jobs_total{a=\"say \\\"hi\\\"\",z=\"1\"} 5\n"), std::string::npos) << text;
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  MetricsRegistry m;
  std::vector<double> bounds = {0.1, 1};
  m.histogramObserve("lat", {{"route", "/x"}}, 0.05, bounds);
  m.histogramObserve("lat", {{"route", "/x"}}, 0.5, bounds);
  m.histogramObserve("lat", {{"route", "/x"}}, 5, bounds);
  std::string text = m.renderPrometheus();
  EXPECT_NE(text.find("lat_bucket{route=\"/x\",le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_bucket{route=\"/x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_bucket{route=\"/x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_sum{route=\"/x\"} 5.55\n"), std::string::npos);
  EXPECT_EQ(m.histogramCount("lat", {{"route", "/x"}}), 3u);
}

TEST(Metrics, GaugesAreSetNotAdded) {
  MetricsRegistry m;
  m.gaugeSet("up", {}, 1);
  m.gaugeSet("up", {}, 0);
  EXPECT_EQ(m.value("up", {}), 0);
  EXPECT_NE(m.renderPrometheus().find("# TYPE up gauge\nup 0\n"), std::string::npos);
}

TEST(Metrics, PluginLabelTextIsParsedAndBadPairsDropped) {
  auto labels = MetricsRegistry::parseLabels("channel=whatsapp,bad pair,=x,result=ok");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0], (std::pair<std::string, std::string>("channel", "whatsapp")));
  EXPECT_EQ(labels[1], (std::pair<std::string, std::string>("result", "ok")));
  EXPECT_TRUE(MetricsRegistry::parseLabels(nullptr).empty());
}

TEST(Metrics, ATypeMismatchOrBadValueChangesNothing) {
  MetricsRegistry m;
  m.histogramObserve("lat", {}, 0.5, {1.0});
  EXPECT_FALSE(m.counterAdd("lat", {}, 1));
  m.gaugeSet("lat", {}, 3);
  EXPECT_FALSE(m.counterAdd("jobs_total", {}, std::nan("")));
  EXPECT_FALSE(m.counterAdd("jobs_total", {}, -1));
  EXPECT_TRUE(m.counterAdd("jobs_total", {}, 2));
  std::string text = m.renderPrometheus();
  EXPECT_NE(text.find("lat_bucket{le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("jobs_total 2\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("nan"), std::string::npos);
}

TEST(Metrics, RepeatedLabelNamesKeepTheExpositionValid) {
  MetricsRegistry m;
  m.counterAdd("x_total", {{"a", "1"}, {"a", "2"}});
  EXPECT_NE(m.renderPrometheus().find("x_total{a=\"1\"} 1\n"), std::string::npos);
}

TEST(Metrics, NamesAreValidated) {
  EXPECT_EQ(MetricsRegistry::isValidName("baraza_x_total"), "");
  EXPECT_NE(MetricsRegistry::isValidName("9lives"), "");
  EXPECT_NE(MetricsRegistry::isValidName("a-b"), "");
}

}  // namespace
}  // namespace baraza
