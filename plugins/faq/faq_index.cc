#include "faq_index.h"

#include <algorithm>
#include <cmath>

#include "text_normalizer.h"

namespace baraza::faq {
namespace {

constexpr size_t kMinFuzzyLength = 5;

std::vector<std::string> deletionsOf(const std::string& word) {
  std::vector<std::string> out;
  out.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i)
    out.push_back(word.substr(0, i) + word.substr(i + 1));
  return out;
}

}  // namespace

int FaqIndex::addTerm(const std::string& token) {
  auto [it, fresh] = terms_.emplace(token, static_cast<int>(term_text_.size()));
  if (fresh) {
    term_text_.push_back(token);
    postings_.emplace_back();
    if (token.size() >= kMinFuzzyLength) {
      for (auto& d : deletionsOf(token))
        deletions_[d].push_back(it->second);
    }
  }
  return it->second;
}

FaqIndex::FaqIndex(std::vector<Entry> entries) : entries_(std::move(entries)) {
  indexed_.resize(entries_.size());
  for (size_t e = 0; e < entries_.size(); ++e) {
    Indexed& ix = indexed_[e];
    std::vector<int> all;
    for (const auto& token : matchTokens(entries_[e].question)) {
      int t = addTerm(token);
      if (std::find(ix.question_terms.begin(), ix.question_terms.end(), t) ==
          ix.question_terms.end())
        ix.question_terms.push_back(t);
    }
    all = ix.question_terms;
    for (const auto& keyword : entries_[e].keywords) {
      std::vector<int> words;
      for (const auto& token : matchTokens(keyword)) {
        int t = addTerm(token);
        words.push_back(t);
        all.push_back(t);
      }
      if (!words.empty())
        ix.keyword_terms.push_back(std::move(words));
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    for (int t : all) {
      bool in_question = std::find(ix.question_terms.begin(), ix.question_terms.end(), t) !=
                         ix.question_terms.end();
      postings_[t].emplace_back(static_cast<int>(e), in_question);
    }
  }
  // BM25's idf: rare words weigh more; never negative.
  double n = static_cast<double>(entries_.size()), sum = 0;
  idf_.resize(term_text_.size());
  for (size_t t = 0; t < term_text_.size(); ++t) {
    double df = static_cast<double>(postings_[t].size());
    idf_[t] = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
    sum += idf_[t];
  }
  // A word the FAQ never uses weighs like an average one: it is something the FAQ does not
  // answer, so it lowers the share of the question an entry explains.
  unknown_weight_ = idf_.empty() ? 1.0 : sum / static_cast<double>(idf_.size());
  for (size_t e = 0; e < entries_.size(); ++e) {
    for (int t : indexed_[e].question_terms)
      indexed_[e].question_weight += idf_[t] * tokenWeight(term_text_[t]);
  }
}

int FaqIndex::termOf(const std::string& token) const {
  if (auto it = terms_.find(token); it != terms_.end())
    return it->second;
  if (token.size() < kMinFuzzyLength)
    return -1;
  // One edit away: a deletion from the token, or the token is a deletion of a term, or both
  // lose the same letter (a substitution).
  int best = -1;
  auto consider = [&](int t) {
    if (best < 0 || postings_[t].size() > postings_[best].size())
      best = t;
  };
  if (auto it = deletions_.find(token); it != deletions_.end()) {
    for (int t : it->second)
      consider(t);
  }
  for (const auto& d : deletionsOf(token)) {
    if (auto it = terms_.find(d); it != terms_.end() && d.size() >= kMinFuzzyLength - 1)
      consider(it->second);
    if (auto it = deletions_.find(d); it != deletions_.end()) {
      for (int t : it->second)
        consider(t);
    }
  }
  return best;
}

std::vector<Match> FaqIndex::match(std::string_view text, size_t limit) const {
  std::vector<Match> out;
  std::vector<int> query;       // known terms, unique
  std::vector<double> weights;  // of those terms
  double query_weight = 0;
  for (const auto& token : matchTokens(text)) {
    int t = termOf(token);
    double w = tokenWeight(token);
    if (t < 0) {
      query_weight += unknown_weight_ * w;
      continue;
    }
    if (std::find(query.begin(), query.end(), t) != query.end())
      continue;
    query.push_back(t);
    weights.push_back(idf_[t] * w);
    query_weight += idf_[t] * w;
  }
  if (query.empty() || query_weight <= 0)
    return out;

  // Dense scratch per thread: tallies by entry, and the query's terms marked by term id.
  struct Tally {
    double query_hit = 0, entry_hit = 0;
  };
  thread_local std::vector<Tally> tallies;
  thread_local std::vector<int> touched;
  thread_local std::vector<char> in_query;
  tallies.assign(entries_.size(), Tally{});
  in_query.assign(term_text_.size(), 0);
  touched.clear();
  for (size_t q = 0; q < query.size(); ++q) {
    in_query[query[q]] = 1;
    double entry_weight = idf_[query[q]] * tokenWeight(term_text_[query[q]]);
    for (const auto& [e, in_question] : postings_[query[q]]) {
      Tally& tally = tallies[e];
      if (tally.query_hit == 0)
        touched.push_back(e);
      tally.query_hit += weights[q];
      if (in_question)
        tally.entry_hit += entry_weight;
    }
  }
  out.reserve(touched.size());
  for (int e : touched) {
    const Tally& tally = tallies[e];
    const Indexed& ix = indexed_[e];
    double query_share = std::min(1.0, tally.query_hit / query_weight);
    double entry_share = ix.question_weight > 0 ? tally.entry_hit / ix.question_weight : 0;
    double score = query_share + entry_share > 0
                       ? 2 * query_share * entry_share / (query_share + entry_share)
                       : 0;
    for (const auto& keyword : ix.keyword_terms) {
      if (std::all_of(keyword.begin(), keyword.end(), [&](int t) { return in_query[t] != 0; }))
        score = std::max(score, 0.4 + 0.6 * query_share);
    }
    if (score > 0)
      out.push_back({&entries_[e], std::min(1.0, score)});
  }
  auto better = [](const Match& a, const Match& b) {
    if (std::abs(a.score - b.score) > 1e-9)
      return a.score > b.score;
    if (a.entry->priority != b.entry->priority)
      return a.entry->priority > b.entry->priority;
    return a.entry < b.entry;
  };
  size_t keep = std::min(limit, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    better);
  if (out.size() > limit)
    out.resize(limit);
  return out;
}

}  // namespace baraza::faq
