// Hot functions every HTTP request goes through: route matching, metrics, log redaction.
#include <benchmark/benchmark.h>

#include "core/metrics.h"
#include "http/router.h"
#include "log/redactor.h"

namespace baraza {
namespace {

void BM_RouterMatch(benchmark::State& state) {
  Router router;
  auto ok = [](const HttpRequest&) { return HttpResponse{}; };
  router.add("GET", "/health", ok);
  router.add("GET", "/metrics", ok);
  router.add("*", "/webhook/whatsapp/*", ok);
  router.add("*", "/channels/loopback/*", ok);
  for (auto _ : state) {
    benchmark::DoNotOptimize(router.match("POST", "/channels/loopback/messages"));
  }
}
BENCHMARK(BM_RouterMatch);

void BM_RequestMetrics(benchmark::State& state) {
  MetricsRegistry m;
  const std::vector<double> buckets = {0.001, 0.01, 0.1, 1};
  for (auto _ : state) {
    m.counterAdd("baraza_http_requests_total",
                 {{"route", "/health"}, {"method", "GET"}, {"status", "200"}});
    m.histogramObserve("baraza_http_request_duration_seconds", {{"route", "/health"}}, 0.0002,
                       buckets);
  }
}
BENCHMARK(BM_RequestMetrics);

// Tenants' tokens are registered as they are opened, so the set grows with the tenants. Meta's
// tokens share their first bytes ("EAAG..."), the worst case for a prefix index.
void registerTokens(Redactor& r, int n) {
  for (int i = 0; i < n; ++i)
    r.add("EAAGm0PX4ZCpsBA" + std::to_string(100000 + i) + "ZDZD");
}

void BM_RedactLogLine(benchmark::State& state) {
  Redactor r;
  registerTokens(r, static_cast<int>(state.range(0)));
  const std::string line = "http 3742d9e94bbdac0b GET /health 200 49B 0.205ms";
  for (auto _ : state)
    benchmark::DoNotOptimize(r.redact(line));
}
BENCHMARK(BM_RedactLogLine)->Arg(0)->Arg(10)->Arg(100)->Arg(3000);

void BM_RedactLineQuotingAToken(benchmark::State& state) {
  Redactor r;
  registerTokens(r, static_cast<int>(state.range(0)));
  const std::string line =
      "tenant duka: send 5f1c failed for good (token_invalid: Malformed access token "
      "EAAGm0PX4ZCpsBA100007ZDZD); dead-lettered";
  for (auto _ : state)
    benchmark::DoNotOptimize(r.redact(line));
}
BENCHMARK(BM_RedactLineQuotingAToken)->Arg(10)->Arg(3000);

}  // namespace
}  // namespace baraza

BENCHMARK_MAIN();
