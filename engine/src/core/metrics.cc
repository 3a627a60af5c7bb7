#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

namespace baraza {
namespace {

std::string escapeLabel(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string formatNumber(double v) {
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);  // shortest exact form
  return ec == std::errc() ? std::string(buf, end) : std::string("NaN");
}

std::string withLabel(const std::string& rendered, const std::string& extra) {
  if (rendered.empty())
    return "{" + extra + "}";
  return rendered.substr(0, rendered.size() - 1) + "," + extra + "}";
}

}  // namespace

MetricsRegistry& MetricsRegistry::global() {
  static MetricsRegistry registry;
  return registry;
}

std::string MetricsRegistry::renderLabels(const Labels& labels) {
  if (labels.empty())
    return "";
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  // A repeated label name would make the exposition invalid: the first value wins.
  sorted.erase(std::unique(sorted.begin(), sorted.end(),
                           [](const auto& a, const auto& b) { return a.first == b.first; }),
               sorted.end());
  std::string out = "{";
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i)
      out += ",";
    out += sorted[i].first + "=\"" + escapeLabel(sorted[i].second) + "\"";
  }
  return out + "}";
}

std::string MetricsRegistry::isValidName(const std::string& name) {
  if (name.empty())
    return "empty metric name";
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
              (i > 0 && std::isdigit(static_cast<unsigned char>(c)));
    if (!ok)
      return "invalid character in metric name '" + name + "'";
  }
  return "";
}

Labels MetricsRegistry::parseLabels(const char* text) {
  Labels labels;
  if (!text)
    return labels;
  std::string s(text);
  size_t start = 0;
  while (start < s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos)
      end = s.size();
    std::string pair = s.substr(start, end - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos && eq > 0 && isValidName(pair.substr(0, eq)).empty()) {
      labels.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
    }
    start = end + 1;
  }
  return labels;
}

void MetricsRegistry::describe(const std::string& name, const std::string& type,
                               const std::string& help) {
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  family.type = type;
  family.help = help;
}

bool MetricsRegistry::counterAdd(const std::string& name, const Labels& labels, double delta) {
  if (!std::isfinite(delta) || delta < 0)
    return false;
  std::string key = renderLabels(labels);
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.type != "counter")
    return false;
  family.series[key].value += delta;
  return true;
}

void MetricsRegistry::gaugeSet(const std::string& name, const Labels& labels, double value) {
  std::string key = renderLabels(labels);
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.series.empty())
    family.type = "gauge";
  if (family.type != "gauge")
    return;
  family.series[key].value = value;
}

void MetricsRegistry::histogramObserve(const std::string& name, const Labels& labels, double value,
                                       const std::vector<double>& buckets) {
  std::string key = renderLabels(labels);
  std::lock_guard lock(mutex_);
  auto& family = families_[name];
  if (family.series.empty() && family.bounds.empty()) {
    family.type = "histogram";
    family.bounds = buckets;
  }
  if (family.type != "histogram" || !std::isfinite(value))
    return;
  auto& series = family.series[key];
  if (series.buckets.empty())
    series.buckets.assign(family.bounds.size(), 0);
  auto it = std::lower_bound(family.bounds.begin(), family.bounds.end(), value);
  if (it != family.bounds.end())
    series.buckets[it - family.bounds.begin()]++;
  series.sum += value;
  series.count++;
}

MetricsRegistry::Series MetricsRegistry::snapshot(const std::string& name,
                                                  const Labels& labels) const {
  std::string key = renderLabels(labels);
  std::lock_guard lock(mutex_);
  auto f = families_.find(name);
  if (f == families_.end())
    return {};
  auto s = f->second.series.find(key);
  return s == f->second.series.end() ? Series{} : s->second;
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  return snapshot(name, labels).value;
}

uint64_t MetricsRegistry::histogramCount(const std::string& name, const Labels& labels) const {
  return snapshot(name, labels).count;
}

std::string MetricsRegistry::renderPrometheus() const {
  std::ostringstream out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, family] : families_) {
    if (family.series.empty())
      continue;
    if (!family.help.empty())
      out << "# HELP " << name << " " << family.help << "\n";
    out << "# TYPE " << name << " " << family.type << "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.type != "histogram") {
        out << name << labels << " " << formatNumber(series.value) << "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < family.bounds.size(); ++i) {
        cumulative += series.buckets[i];
        out << name << "_bucket"
            << withLabel(labels, "le=\"" + formatNumber(family.bounds[i]) + "\"") << " "
            << cumulative << "\n";
      }
      out << name << "_bucket" << withLabel(labels, "le=\"+Inf\"") << " " << series.count << "\n";
      out << name << "_sum" << labels << " " << formatNumber(series.sum) << "\n";
      out << name << "_count" << labels << " " << series.count << "\n";
    }
  }
  return out.str();
}

void MetricsRegistry::reset() {
  std::lock_guard lock(mutex_);
  families_.clear();
}

}  // namespace baraza
