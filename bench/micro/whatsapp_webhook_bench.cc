// The webhook hot path: X-Hub-Signature-256 check plus parse of a 1.2 KB text webhook into
// normalized events. Target (issue 3): at least 100,000 per second on one core.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "sample_webhook.h"
#include "signature.h"
#include "webhook_parser.h"

namespace {

// A webhook of about `target_size` bytes: its text padded out.
std::string textWebhook(size_t target_size) {
  nlohmann::json payload = baraza::bench::textWebhook("");
  std::string body = payload.dump();
  std::string text(target_size > body.size() ? target_size - body.size() : 0, 'a');
  for (size_t i = 0; i < text.size(); i += 6)
    text[i] = ' ';
  payload["entry"][0]["changes"][0]["value"]["messages"][0]["text"]["body"] = text;
  return payload.dump();
}

void BM_SignatureAndParse(benchmark::State& state) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const std::string body = textWebhook(1200);
  const std::string header = baraza::whatsapp::signatureHeader(secret, body);
  for (auto _ : state) {
    auto check = baraza::whatsapp::checkSignature(header.c_str(), secret, body);
    auto parsed = baraza::whatsapp::parseWebhook(body, "default");
    benchmark::DoNotOptimize(check);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_SignatureAndParse);

void BM_SignatureOnly(benchmark::State& state) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  const std::string body = textWebhook(1200);
  const std::string header = baraza::whatsapp::signatureHeader(secret, body);
  for (auto _ : state) {
    benchmark::DoNotOptimize(baraza::whatsapp::checkSignature(header.c_str(), secret, body));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignatureOnly);

}  // namespace

BENCHMARK_MAIN();

namespace {
// nlohmann's parser alone, for comparison: the webhook path reads payloads with RapidJSON.
void BM_NlohmannParseOnly(benchmark::State& state) {
  const std::string body = textWebhook(1200);
  for (auto _ : state)
    benchmark::DoNotOptimize(nlohmann::json::parse(body));
}
BENCHMARK(BM_NlohmannParseOnly);
}  // namespace
