// A stand-in Graph API for the pipeline benchmark: answers every send with a fresh message id
// and notes when the reply to each inbound message arrived. GET /count: how many sends it took;
// GET /sends: one line per send, "REPLIED_TO_WAMID<TAB>EPOCH_MS". Prints its port, runs until
// SIGTERM.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <pistache/endpoint.h>
#include <pistache/http.h>

namespace {

using namespace Pistache;

struct Sends {
  std::mutex mutex;
  std::vector<std::pair<std::string, long long>> arrived;
  std::atomic<long long> count{0};
};

long long nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The inbound message a reply answers (its context.message_id), without parsing the body.
std::string repliedTo(const std::string& body) {
  const std::string key = "\"message_id\":\"";
  size_t at = body.find(key);
  if (at == std::string::npos)
    return "-";
  at += key.size();
  size_t end = body.find('"', at);
  return end == std::string::npos ? "-" : body.substr(at, end - at);
}

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)
  explicit Handler(std::shared_ptr<Sends> sends) : sends_(std::move(sends)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    // Kept alive as Meta's Graph API does: Pistache has already put "Connection: Close" on the
    // reply to an HTTP/1.1 request that did not ask (libcurl does not), and adding a second
    // Connection header is ignored, so every send paid for a new TCP connection.
    writer.headers().remove<Http::Header::Connection>();
    writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    if (request.resource() == "/count") {
      writer.send(Http::Code::Ok, std::to_string(sends_->count.load()));
      return;
    }
    if (request.resource() == "/sends") {
      std::string out;
      std::lock_guard lock(sends_->mutex);
      for (const auto& [to, ms] : sends_->arrived)
        out += to + '\t' + std::to_string(ms) + '\n';
      writer.send(Http::Code::Ok, out);
      return;
    }
    long long n = ++sends_->count;
    {
      std::lock_guard lock(sends_->mutex);
      sends_->arrived.emplace_back(repliedTo(request.body()), nowMs());
    }
    writer.send(Http::Code::Ok,
                R"({"messaging_product":"whatsapp","messages":[{"id":"wamid.BENCH-)" +
                    std::to_string(n) + R"("}]})",
                MIME(Application, Json));
  }

 private:
  std::shared_ptr<Sends> sends_;
};

}  // namespace

int main() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // before the server's threads start
  auto sends = std::make_shared<Sends>();
  Http::Endpoint endpoint(Address("127.0.0.1", Port(0)));
  endpoint.init(Http::Endpoint::options().threads(1).maxRequestSize(1 << 20));
  endpoint.setHandler(std::make_shared<Handler>(sends));
  endpoint.serveThreaded();
  std::printf("%d\n", static_cast<int>(endpoint.getPort()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  endpoint.shutdown();
  return 0;
}
