#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace baraza::faq {

// One knowledge entry as the index takes it.
struct Entry {
  std::string id, type, question, answer, category;
  std::vector<std::string> keywords;
  long long priority = 5;
};

struct Match {
  const Entry* entry = nullptr;
  double score = 0;  // 0-1
};

// One tenant's FAQ, indexed for matching (docs/answers.md, "The faq strategy"). The score of
// an entry for a question is the larger of
//  - the IDF-weighted overlap of their words: the harmonic mean of how much of the question the
//    entry's words (question and keywords) explain and how much of the entry's question the
//    question covers, and
//  - a keyword hit: 0.4 plus 0.6 times the first share, when all words of one of the entry's
//    keywords are in the question.
// A question word not in the index but one edit (a deletion, insertion or substitution) from
// one of its words of 4+ letters counts as that word: typos match. Scores are 0-1, so one
// threshold means the same for every tenant; priority breaks ties.
class FaqIndex {
 public:
  explicit FaqIndex(std::vector<Entry> entries);

  // The best `limit` entries scoring above 0, best first.
  std::vector<Match> match(std::string_view text, size_t limit) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Indexed {
    std::vector<int> question_terms;              // unique
    std::vector<std::vector<int>> keyword_terms;  // one list per keyword
    double question_weight = 0;
  };
  int termOf(const std::string& token) const;  // -1: unknown
  int addTerm(const std::string& token);

  std::vector<Entry> entries_;
  std::vector<Indexed> indexed_;
  std::unordered_map<std::string, int> terms_;
  std::vector<std::string> term_text_;
  std::unordered_map<std::string, std::vector<int>> deletions_;  // one letter off -> terms
  std::vector<double> idf_;
  std::vector<std::vector<std::pair<int, bool>>> postings_;  // term -> (entry, in question)
  double unknown_weight_ = 1;
};

}  // namespace baraza::faq
