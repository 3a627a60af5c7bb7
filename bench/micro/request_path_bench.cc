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

void BM_RedactLogLine(benchmark::State& state) {
  Redactor r;
  for (int i = 0; i < state.range(0); ++i)
    r.add("secret-token-number-" + std::to_string(i));
  const std::string line = "http 3742d9e94bbdac0b GET /health 200 49B 0.205ms";
  for (auto _ : state)
    benchmark::DoNotOptimize(r.redact(line));
}
BENCHMARK(BM_RedactLogLine)->Arg(0)->Arg(10)->Arg(100);

}  // namespace
}  // namespace baraza

BENCHMARK_MAIN();
