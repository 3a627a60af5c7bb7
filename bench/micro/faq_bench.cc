// One FAQ match over N entries (the target: 1,000 entries in 50 µs or less), and the
// index build, which runs once per tenant config change.
//   build/bench/faq_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "faq_index.h"

namespace {

using baraza::faq::Entry;
using baraza::faq::FaqIndex;

// A synthetic FAQ: questions of 5-9 words drawn from a 3,000-word vocabulary (Zipf-like, as
// real FAQs reuse words), 3 keywords each.
std::vector<Entry> syntheticFaq(size_t n) {
  std::mt19937 rng(42);
  std::vector<std::string> vocabulary;
  for (int i = 0; i < 3000; ++i)
    vocabulary.push_back("word" + std::to_string(i) + "x");
  std::vector<double> weights;
  for (int i = 1; i <= 3000; ++i)
    weights.push_back(1.0 / i);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::vector<Entry> out;
  for (size_t i = 0; i < n; ++i) {
    Entry e;
    e.id = std::to_string(i);
    e.type = "faq";
    int words = 5 + static_cast<int>(rng() % 5);
    for (int w = 0; w < words; ++w)
      e.question += vocabulary[pick(rng)] + " ";
    e.answer = "answer " + e.id;
    for (int k = 0; k < 3; ++k)
      e.keywords.push_back(vocabulary[pick(rng)]);
    e.priority = static_cast<long long>(rng() % 10);
    out.push_back(e);
  }
  return out;
}

void BM_FaqMatch(benchmark::State& state) {
  FaqIndex index(syntheticFaq(static_cast<size_t>(state.range(0))));
  // A question of 8 common and rare words, one misspelt: the fuzzy lookup runs too.
  std::string question = "hello how much word3x word17x word250x word1200x wrd40x please";
  for (auto _ : state)
    benchmark::DoNotOptimize(index.match(question, 3));
}
BENCHMARK(BM_FaqMatch)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

void BM_FaqIndexBuild(benchmark::State& state) {
  auto entries = syntheticFaq(static_cast<size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(FaqIndex(entries));
}
BENCHMARK(BM_FaqIndexBuild)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
