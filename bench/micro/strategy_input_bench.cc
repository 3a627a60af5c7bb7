// What a strategy on every message's path pays to read its input: the host's text (the
// tenant's view, the stored event, the conversation, ~1.3 KB here) read whole as nlohmann::json,
// as the faq and static_reply plugins did, against the few fields they need read through
// plugin::Input (RapidJSON), and the faq's whole decision on top.
//   build/bench/strategy_input_bench --benchmark_repetitions=3
//   --benchmark_report_aggregates_only=true
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "faq_strategy.h"
#include "plugin_input.h"
#include "sample_webhook.h"
#include "webhook_parser.h"

namespace {

using nlohmann::json;

// A text message as the WhatsApp plugin stores it, in the input the engine builds
// (engine/src/pipeline/strategy_input.cc) for a tenant set up as bench/pipeline's are.
std::string strategyInput() {
  json webhook = baraza::bench::textWebhook("Hello, what are your opening hours on Saturday?");
  auto parsed = baraza::whatsapp::parseWebhook(webhook.dump(), "default");
  json tenant = {{"id", "6f1c2a8e-1d2b-4c3d-9e4f-5a6b7c8d9e0f"},
                 {"slug", "tenant-7"},
                 {"name", "Tenant 7"},
                 {"generation", 3},
                 {"settings",
                  {{"static_reply", "Thanks, we got your message."},
                   {"strategies", "faq,static_reply"},
                   {"max_messages_per_hour", 0},
                   {"max_messages_per_user_per_day", 0},
                   {"timezone", "Africa/Nairobi"},
                   {"escalation_after_unanswered", 3}}},
                 {"open_now", true},
                 {"template", nullptr},
                 {"ai_providers", json::array()}};
  json conversation = {{"id", "0b6f3c1e-2a4d-4f5e-8a9b-1c2d3e4f5a6b"},
                       {"window_expires_at", "2026-12-05 10:00:00.000+00"},
                       {"unanswered_streak", 0}};
  return json{{"tenant", tenant},
              {"message", parsed.events.at(0)},
              {"conversation", conversation},
              {"limits", {{"exceeded", false}, {"ai", false}}},
              {"now_ms", 1764900000000LL}}
      .dump();
}

// The fields the faq read, read the old way: the whole input as a DOM first.
void BM_InputAsJsonDom(benchmark::State& state) {
  const std::string text = strategyInput();
  for (auto _ : state) {
    json input = json::parse(text, nullptr, false);
    const json& tenant = input["tenant"];
    benchmark::DoNotOptimize(tenant["id"].get<std::string>());
    benchmark::DoNotOptimize(tenant["generation"].get<long long>());
    benchmark::DoNotOptimize(tenant["settings"].value("faq_threshold", 0LL));
    benchmark::DoNotOptimize(input["message"]["text"].get<std::string>());
  }
  state.counters["input_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_InputAsJsonDom);

void BM_InputAsQuestion(benchmark::State& state) {
  const std::string text = strategyInput();
  for (auto _ : state)
    benchmark::DoNotOptimize(baraza::faq::questionFrom(baraza::plugin::Input(text)));
  state.counters["input_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(BM_InputAsQuestion);

// The faq's whole decision from the host's text, ten entries (bench/pipeline's tenants), no match.
void BM_FaqDecideFromInput(benchmark::State& state) {
  const std::string text = strategyInput();
  json entries = json::array();
  for (int i = 0; i < 10; ++i)
    entries.push_back({{"id", "e" + std::to_string(i)},
                       {"type", "faq"},
                       {"question", "What is the price of product number " + std::to_string(i)},
                       {"answer", "It costs " + std::to_string(100 + i) + " shillings."}});
  baraza::faq::FaqStrategy faq(
      {}, [&](const std::string&) { return std::optional<std::string>(entries.dump()); });
  for (auto _ : state) {
    json hint;
    benchmark::DoNotOptimize(
        faq.decide(baraza::faq::questionFrom(baraza::plugin::Input(text)), hint));
  }
}
BENCHMARK(BM_FaqDecideFromInput);

}  // namespace

BENCHMARK_MAIN();
