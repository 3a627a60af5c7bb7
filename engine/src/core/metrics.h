#pragma once

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace baraza {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Counters, gauges and histograms, rendered as Prometheus text for GET /metrics. Every part of
// the engine (and plugins, through the host API) adds its series here. Thread-safe.
class MetricsRegistry {
 public:
  static MetricsRegistry& global();

  void describe(const std::string& name, const std::string& type, const std::string& help);
  // Returns false (and changes nothing) for a negative or non-finite delta, or when `name` is
  // already a gauge or histogram. Gauges and histograms likewise ignore a name of another type.
  bool counterAdd(const std::string& name, const Labels& labels, double delta = 1);
  void gaugeSet(const std::string& name, const Labels& labels, double value);
  void histogramObserve(const std::string& name, const Labels& labels, double value,
                        const std::vector<double>& buckets);

  double value(const std::string& name, const Labels& labels) const;  // 0 when absent
  uint64_t histogramCount(const std::string& name, const Labels& labels) const;
  std::string renderPrometheus() const;
  void reset();

  // Parses "k1=v1,k2=v2" (the plugin API's label form); skips malformed pairs.
  static Labels parseLabels(const char* text);
  static std::string isValidName(const std::string& name);  // "" when valid, else the problem

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> buckets;  // histograms: per-bucket (non-cumulative) counts
    double sum = 0;
    uint64_t count = 0;
  };
  struct Family {
    std::string type = "counter";
    std::string help;
    std::vector<double> bounds;
    std::map<std::string, Series> series;  // rendered label set -> series
  };

  static std::string renderLabels(const Labels& labels);
  Series snapshot(const std::string& name, const Labels& labels) const;  // empty when absent

  mutable std::mutex mutex_;
  std::map<std::string, Family> families_;
};

}  // namespace baraza
