#include "scripting/knowledge_search.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace baraza {
namespace {

std::string lower(const std::string& text) {
  std::string out = text;
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Words: runs of letters and digits (bytes of UTF-8 letters included), lowercased.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : lower(text)) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) {
      word += c;
    } else if (!word.empty()) {
      out.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty())
    out.push_back(std::move(word));
  return out;
}

}  // namespace

nlohmann::json searchKnowledge(const std::vector<CachedKnowledge>& entries, const std::string& text,
                               int limit) {
  std::string haystack = " " + lower(text) + " ";
  auto text_words = words(text);
  std::set<std::string> present(text_words.begin(), text_words.end());
  struct Scored {
    const CachedKnowledge* entry;
    double score;
  };
  std::vector<Scored> scored;
  for (const auto& e : entries) {
    double score = 0;
    for (const auto& k : e.spec.keywords) {
      std::string keyword = lower(k);
      if (!keyword.empty() && haystack.find(keyword) != std::string::npos)
        score += 3;
    }
    size_t asked = 0, found = 0;
    for (const auto& w : words(e.spec.question)) {
      if (w.size() < 3)
        continue;
      ++asked;
      found += present.count(w);
    }
    if (asked > 0)
      score += 2.0 * static_cast<double>(found) / static_cast<double>(asked);
    if (score > 0)
      scored.push_back({&e, score});
  }
  std::stable_sort(scored.begin(), scored.end(), [](const Scored& a, const Scored& b) {
    if (a.score != b.score)
      return a.score > b.score;
    return a.entry->spec.priority > b.entry->spec.priority;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : scored) {
    if (static_cast<int>(out.size()) >= limit)
      break;
    out.push_back({{"id", s.entry->id},
                   {"question", s.entry->spec.question},
                   {"answer", s.entry->spec.answer},
                   {"category", s.entry->spec.category},
                   {"score", std::round(s.score * 100) / 100}});
  }
  return out;
}

}  // namespace baraza
