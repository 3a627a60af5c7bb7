// A stand-in Graph API for the pipeline benchmark: answers every send with a fresh message id,
// and GET /count with how many sends it took. Prints its port, runs until SIGTERM or SIGINT.
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "support/mock_graph.h"

int main() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server's threads start
  baraza::test::MockGraph graph;
  std::atomic<long long> sends{0};
  graph.respond([&](const baraza::test::RecordedRequest& r) {
    if (r.path == "/count")
      return baraza::test::MockAnswer{200, std::to_string(sends.load())};
    long long n = ++sends;
    return baraza::test::MockAnswer{
        200, R"({"messaging_product":"whatsapp","messages":[{"id":"wamid.BENCH-)" +
                 std::to_string(n) + R"("}]})"};
  });
  std::printf("%d\n", graph.port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;
}
