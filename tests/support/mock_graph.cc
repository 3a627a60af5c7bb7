#include "support/mock_graph.h"

#include <sys/socket.h>

#include <thread>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <nlohmann/json.hpp>

namespace baraza::test {

using namespace Pistache;

struct MockGraph::State {
  mutable std::mutex mutex;
  std::vector<RecordedRequest> requests;
  Responder responder = [](const RecordedRequest&) { return MockAnswer{}; };
};

namespace {

// Retry-After as a header type of its own: Pistache 0.0.5 does not send raw headers.
class RetryAfter : public Http::Header::Header {
 public:
  NAME("Retry-After")
  RetryAfter() = default;
  explicit RetryAfter(std::string value) : value_(std::move(value)) {}
  void parse(const std::string& data) override { value_ = data; }
  void write(std::ostream& os) const override { os << value_; }

 private:
  std::string value_;
};

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)
  explicit Handler(std::shared_ptr<MockGraph::State> state) : state_(std::move(state)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    RecordedRequest r;
    r.method = Http::methodString(request.method());
    r.path = request.resource();
    std::string q = request.query().as_str();
    r.query = q.empty() ? q : q.substr(1);
    r.body = request.body();
    if (auto auth = request.headers().tryGet<Http::Header::Authorization>()) {
      r.authorization = auth->value();
    }
    if (auto ct = request.headers().tryGet<Http::Header::ContentType>()) {
      r.content_type = ct->mime().toString();
    }
    MockGraph::Responder responder;
    {
      std::lock_guard lock(state_->mutex);
      state_->requests.push_back(r);
      responder = state_->responder;
    }
    MockAnswer answer = responder(r);
    if (answer.delay.count() > 0)
      std::this_thread::sleep_for(answer.delay);
    if (answer.hang_up) {
      auto peer = writer.peer();
      linger abort{1, 0};
      ::setsockopt(peer->fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
      ::shutdown(peer->fd(), SHUT_RDWR);  // Pistache sees the hangup and closes the socket
      return;
    }
    // Pistache answers Connection: Close by default; Meta keeps connections open.
    writer.headers().remove<Http::Header::Connection>();
    writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    for (const auto& [name, value] : answer.headers) {
      if (name == "Retry-After")
        writer.headers().add<RetryAfter>(value);
    }
    if (answer.chunked || answer.trickle.count() > 0) {
      writer.setMime(Http::Mime::MediaType::fromString(answer.content_type));
      auto stream = writer.stream(static_cast<Http::Code>(answer.status));
      size_t chunk = answer.trickle.count() > 0 ? 8 : 1000;
      for (size_t i = 0; i < answer.body.size(); i += chunk) {
        size_t n = std::min<size_t>(chunk, answer.body.size() - i);
        stream.write(answer.body.data() + i, static_cast<std::streamsize>(n));
        stream.flush();
        if (answer.trickle.count() > 0)
          std::this_thread::sleep_for(answer.trickle);
      }
      stream.ends();
      return;
    }
    writer.send(static_cast<Http::Code>(answer.status), answer.body,
                Http::Mime::MediaType::fromString(answer.content_type));
  }

 private:
  std::shared_ptr<MockGraph::State> state_;
};

}  // namespace

struct MockGraph::Impl {
  std::unique_ptr<Http::Endpoint> endpoint;
};

MockGraph::MockGraph() : state_(std::make_shared<State>()), impl_(std::make_unique<Impl>()) {
  impl_->endpoint = std::make_unique<Http::Endpoint>(Address("127.0.0.1", Port(0)));
  impl_->endpoint->init(Http::Endpoint::options().threads(2).maxRequestSize(1 << 20));
  impl_->endpoint->setHandler(std::make_shared<Handler>(state_));
  impl_->endpoint->serveThreaded();
}

MockGraph::~MockGraph() {
  impl_->endpoint->shutdown();
}

int MockGraph::port() const {
  return static_cast<int>(impl_->endpoint->getPort());
}

std::string MockGraph::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

void MockGraph::respond(Responder responder) {
  std::lock_guard lock(state_->mutex);
  state_->responder = std::move(responder);
}

std::vector<RecordedRequest> MockGraph::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::string MockGraph::errorBody(long long code, const std::string& message, long long subcode,
                                 bool transient) {
  nlohmann::json e{{"message", message},
                   {"type", "OAuthException"},
                   {"code", code},
                   {"fbtrace_id", "AbCdEf123"},
                   {"error_data", {{"messaging_product", "whatsapp"}, {"details", message}}}};
  if (subcode)
    e["error_subcode"] = subcode;
  if (transient)
    e["is_transient"] = true;
  return nlohmann::json{{"error", e}}.dump();
}

}  // namespace baraza::test
