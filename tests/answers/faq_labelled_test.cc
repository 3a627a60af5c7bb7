// The labelled set (faq_labelled.tsv) against the example tenants' FAQ: precision and recall
// of the faq strategy at its default threshold, and the same at other thresholds for tuning
// (docs/answers.md, "Tuning the threshold").
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "faq_index.h"
#include "faq_strategy.h"
#include "tenancy/tenant_file.h"

namespace baraza::faq {
namespace {

struct Labelled {
  std::string tenant, expected, text;
};

std::vector<Labelled> readLabelledSet() {
  std::ifstream in(std::string(BARAZA_TEST_SOURCE_DIR) + "/tests/answers/faq_labelled.tsv");
  std::vector<Labelled> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1), line.substr(b + 1)});
  }
  return out;
}

// Each example tenant's index; entries are labelled by their first keyword.
struct TenantFaq {
  std::unique_ptr<FaqIndex> index;
};

std::map<std::string, TenantFaq> exampleTenants() {
  std::map<std::string, TenantFaq> out;
  for (const char* file :
       {"kassangas", "mama-mboga", "nyumba-realty-amina", "nyumba-realty-otieno"}) {
    TenantSpec spec =
        readTenantFile(std::string(BARAZA_TEST_SOURCE_DIR) + "/examples/tenants/" + file + ".yaml");
    std::vector<Entry> entries;
    for (const auto& k : spec.knowledge) {
      Entry e{k.keywords.empty() ? k.question : k.keywords.front(),
              k.data_type,
              k.question,
              k.answer,
              k.category,
              k.keywords,
              k.priority};
      entries.push_back(e);
    }
    std::string slug = spec.slug == "nyumba-realty-amina"    ? "nyumba-amina"
                       : spec.slug == "nyumba-realty-otieno" ? "nyumba-otieno"
                                                             : spec.slug;
    out[slug].index = std::make_unique<FaqIndex>(std::move(entries));
  }
  return out;
}

struct Score {
  int true_positive = 0, false_positive = 0, positives = 0;
  double precision() const {
    int said = true_positive + false_positive;
    return said ? static_cast<double>(true_positive) / said : 1.0;
  }
  double recall() const { return positives ? static_cast<double>(true_positive) / positives : 1.0; }
};

Score evaluate(const std::vector<Labelled>& set, std::map<std::string, TenantFaq>& tenants,
               double threshold, bool report) {
  Score s;
  for (const auto& l : set) {
    auto& faq = tenants.at(l.tenant);
    auto matches = faq.index->match(l.text, 1);
    std::string got =
        !matches.empty() && matches.front().score >= threshold ? matches.front().entry->id : "-";
    if (l.expected != "-")
      ++s.positives;
    if (got != "-" && got == l.expected)
      ++s.true_positive;
    else if (got != "-")
      ++s.false_positive;
    if (report && got != l.expected) {
      std::printf("  miss: %-13s want %-9s got %-9s (%.2f) %s\n", l.tenant.c_str(),
                  l.expected.c_str(), got.c_str(), matches.empty() ? 0.0 : matches[0].score,
                  l.text.c_str());
    }
  }
  return s;
}

TEST(FaqLabelled, TheSetIsLargeAndCoversEveryEntryAndNonMatches) {
  auto set = readLabelledSet();
  ASSERT_GE(set.size(), 150u);
  auto tenants = exampleTenants();
  std::map<std::string, int> per_label;
  int negatives = 0;
  for (const auto& l : set) {
    ASSERT_TRUE(tenants.count(l.tenant)) << l.tenant;
    if (l.expected == "-")
      ++negatives;
    else
      ++per_label[l.tenant + "/" + l.expected];
  }
  EXPECT_GE(negatives, 30);
  // Every label names a real entry of its tenant (its first keyword).
  for (const auto& l : set) {
    if (l.expected == "-")
      continue;
    auto matches = tenants.at(l.tenant).index->match(l.expected, 20);
    bool known = false;
    for (const auto& m : matches)
      known = known || m.entry->id == l.expected;
    EXPECT_TRUE(known) << l.tenant << " has no entry labelled " << l.expected;
  }
  EXPECT_EQ(per_label.size(), 13u);  // every entry of the four example tenants
  for (const auto& [label, n] : per_label)
    EXPECT_GE(n, 5) << label;
}

TEST(FaqLabelled, DefaultThresholdReachesTheTargets) {
  auto set = readLabelledSet();
  auto tenants = exampleTenants();
  FaqConfig defaults;
  Score s = evaluate(set, tenants, defaults.threshold, true);
  std::printf("faq labelled set: %zu phrasings, threshold %.2f: precision %.3f, recall %.3f\n",
              set.size(), defaults.threshold, s.precision(), s.recall());
  EXPECT_GE(s.precision(), 0.90);
  EXPECT_GE(s.recall(), 0.80);
  // The curve, for tuning (docs/answers.md).
  std::printf("threshold  precision  recall\n");
  for (int t = 20; t <= 90; t += 10) {
    Score at = evaluate(set, tenants, t / 100.0, false);
    std::printf("%9d  %9.3f  %6.3f\n", t, at.precision(), at.recall());
  }
}

}  // namespace
}  // namespace baraza::faq
