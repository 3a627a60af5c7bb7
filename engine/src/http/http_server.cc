#include "http/http_server.h"

#include <sys/socket.h>

#include <random>
#include <sstream>
#include <thread>

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "http/connection_cap.h"

namespace baraza {

using namespace Pistache;

// Shared by the handler clones (Pistache clones the handler once per reactor thread).
struct HttpServer::State {
  std::shared_ptr<const Router> router;
  size_t max_body_bytes = 0;
  bool access_log = true;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};
  int connections_per_address = 0;
  std::unique_ptr<ConnectionCap> connections;
};

namespace {

const std::vector<double> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                             0.05,   0.1,   0.25,   0.5,   1,    2.5};

bool validRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64)
    return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::string newRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   std::hash<std::thread::id>{}(std::this_thread::get_id()));
  static const char* hex = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    id[i] = hex[v & 15];
  return id;
}

std::string methodName(Http::Method m) {
  switch (m) {
    case Http::Method::Get:
      return "GET";
    case Http::Method::Post:
      return "POST";
    case Http::Method::Put:
      return "PUT";
    case Http::Method::Delete:
      return "DELETE";
    case Http::Method::Patch:
      return "PATCH";
    case Http::Method::Head:
      return "HEAD";
    case Http::Method::Options:
      return "OPTIONS";
    default:
      return "OTHER";
  }
}

// Pistache 0.0.5 writes only typed headers (addRaw ones never reach the wire), so extra
// response headers go through this generic typed header.
class NamedHeader : public Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& os) const override { os << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override {
    return std::hash<std::string>{}(name_);
  }
#endif

 private:
  std::string name_;
  std::string value_;
};

constexpr const char* kRefused = "baraza.refused";

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  explicit Handler(std::shared_ptr<HttpServer::State> state) : state_(std::move(state)) {}

  // Replaces Http::Handler's own (private) onConnection, which only attaches the parser.
  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    peer->putData(ParserData, std::make_shared<Http::RequestParser>(getMaxRequestSize()));
    const std::string address = peer->address().host();
    if (state_->connections->open(address))
      return;
    if (state_->connections->openFrom(address) ==
        state_->connections_per_address + 1) {  // once per burst, not per refusal
      spdlog::warn("http: {} holds more than {} connections; closing the new ones", address,
                   state_->connections_per_address);
    }
    MetricsRegistry::global().counterAdd("baraza_http_connections_refused_total", {});
    // Bytes it sent already are still read once; its requests are not run.
    peer->putData(kRefused, std::make_shared<bool>(true));
    // The reactor sees the hangup and releases the peer (onDisconnection counts it out).
    ::shutdown(peer->fd(), SHUT_RDWR);
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    state_->connections->close(peer->address().host());
  }

  void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
    try {
      if (writer.peer()->tryGetData(kRefused))
        return;                        // a connection over its address's cap, already shut down
    } catch (const std::exception&) {  // the client is already gone
      return;
    }
    auto started = std::chrono::steady_clock::now();
    State& st = *state_;
    st.in_flight.fetch_add(1);
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { n.fetch_sub(1); }
    } leave{st.in_flight};

    keepAliveByDefault(request, writer);

    HttpRequest req;
    req.method = methodName(request.method());
    req.path = request.resource();
    std::string query = request.query().as_str();
    req.query = query.empty() ? query : query.substr(1);
    for (const auto& [name, raw] : request.headers().rawList()) {
      std::string lower = name;
      for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[lower] = raw.value();
    }
    // Headers Pistache knows (Host, Content-Type, Authorization, ...) are parsed into typed
    // objects and missing from rawList(); write them back out as text.
    for (const auto& typed : request.headers().list()) {
      std::string lower = typed->name();
      for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (req.headers.count(lower))
        continue;
      std::ostringstream value;
      typed->write(value);
      req.headers[lower] = value.str();
    }
    auto given_id = req.header("x-request-id");
    req.request_id = given_id && validRequestId(*given_id) ? *given_id : newRequestId();
    req.client_address = request.address().host();

    Router::Match match = st.router->match(req.method, req.path);
    HttpResponse resp;
    if (st.draining.load()) {
      resp = jsonError(503, "shutting_down", "the server is stopping; retry on another instance");
      writer.headers().remove<Http::Header::Connection>();  // add() never replaces
      writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::Close);
    } else if (request.body().size() > st.max_body_bytes) {
      resp = jsonError(413, "body_too_large",
                       "request body is " + std::to_string(request.body().size()) +
                           " bytes; the limit is " + std::to_string(st.max_body_bytes));
    } else if (!match.handler) {
      resp = match.status == 405
                 ? jsonError(405, "method_not_allowed",
                             req.method + " is not allowed on " + req.path + "; use " + match.allow)
                 : jsonError(404, "not_found", "no route for " + req.method + " " + req.path);
      if (match.status == 405)
        resp.headers.emplace_back("Allow", match.allow);
    } else {
      req.body = request.body();
      try {
        resp = (*match.handler)(req);
      } catch (const std::exception& e) {
        spdlog::error("request {} {} {} failed: {}", req.request_id, req.method, req.path,
                      e.what());
        resp = jsonError(500, "internal_error", "request " + req.request_id + " failed");
      }
    }
    send(req, resp, match.label, writer, started);
  }

 private:
  using State = HttpServer::State;

  // Pistache 0.0.5 answers "Connection: Close" to an HTTP/1.1 request without a Connection
  // header, so every client reconnects per request (4x slower). HTTP/1.1 is keep-alive unless
  // the client says otherwise (RFC 9112 §9.3).
  static void keepAliveByDefault(const Http::Request& request, Http::ResponseWriter& writer) {
    if (request.version() == Http::Version::Http11 &&
        !request.headers().tryGet<Http::Header::Connection>()) {
      writer.headers().remove<Http::Header::Connection>();
      writer.headers().add<Http::Header::Connection>(Http::ConnectionControl::KeepAlive);
    }
  }

  void send(const HttpRequest& req, const HttpResponse& resp, const std::string& label,
            Http::ResponseWriter& writer, std::chrono::steady_clock::time_point started) {
    writer.headers().add(std::make_shared<NamedHeader>("X-Request-Id", req.request_id));
    for (const auto& [name, value] : resp.headers) {
      writer.headers().add(std::make_shared<NamedHeader>(name, value));
    }
    Http::Mime::MediaType mime;
    try {
      mime = Http::Mime::MediaType::fromString(resp.content_type);
    } catch (const std::exception&) {  // a plugin may name a type Pistache cannot parse
      mime = Http::Mime::MediaType::fromString("application/octet-stream");
    }
    auto connection = writer.headers().tryGet<Http::Header::Connection>();
    if (connection && connection->control() == Http::ConnectionControl::Close) {
      // Pistache announces "Connection: Close" but leaves the socket open. Once the response is
      // written (on the reactor thread), shut the socket down; the reactor then sees the hangup
      // and releases the peer itself.
      std::shared_ptr<Tcp::Peer> peer;
      try {
        peer = writer.peer();
      } catch (const std::exception&) {  // the client is already gone
      }
      auto sent = writer.send(static_cast<Http::Code>(resp.status), resp.body, mime);
      if (peer) {
        sent.then([peer](ssize_t) { ::shutdown(peer->fd(), SHUT_RDWR); }, Async::IgnoreException);
      }
    } else {
      writer.send(static_cast<Http::Code>(resp.status), resp.body, mime);
    }

    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto& metrics = MetricsRegistry::global();
    metrics.counterAdd(
        "baraza_http_requests_total",
        {{"route", label}, {"method", req.method}, {"status", std::to_string(resp.status)}});
    metrics.histogramObserve("baraza_http_request_duration_seconds", {{"route", label}}, seconds,
                             kLatencyBuckets);
    if (state_->access_log) {
      spdlog::info("http {} {} {} {} {}B {:.3f}ms", req.request_id, req.method, req.path,
                   resp.status, resp.body.size(), seconds * 1000);
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace

struct HttpServer::Impl {
  std::unique_ptr<Http::Endpoint> endpoint;
};

HttpServer::HttpServer(const ServerConfig& config, std::shared_ptr<const Router> router)
    : config_(config), state_(std::make_shared<State>()), impl_(std::make_unique<Impl>()) {
  state_->router = std::move(router);
  state_->max_body_bytes = config.max_body_bytes;
  state_->access_log = config.access_log;
  state_->connections_per_address = config.connections_per_address;
  state_->connections = std::make_unique<ConnectionCap>(config.connections_per_address);
  auto& metrics = MetricsRegistry::global();
  metrics.describe("baraza_http_requests_total", "counter", "HTTP requests by route and status.");
  metrics.describe("baraza_http_request_duration_seconds", "histogram",
                   "HTTP request latency by route.");
  metrics.describe("baraza_http_connections_refused_total", "counter",
                   "Connections closed at once: their client address held "
                   "server.connections_per_address already.");
}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::start() {
  Address address(config_.host, Port(config_.port));
  impl_->endpoint = std::make_unique<Http::Endpoint>(address);
  // Pistache counts the request line and headers in its limit too; headers get 64 KiB on top
  // of the body limit, and the body limit itself is checked (with a JSON 413) in the handler.
  auto opts = Http::Endpoint::options()
                  .threads(config_.threads)
                  .flags(Tcp::Options::ReuseAddr)
                  .maxRequestSize(config_.max_body_bytes + 65536)
                  .headerTimeout(std::chrono::milliseconds(config_.header_timeout_ms))
                  .bodyTimeout(std::chrono::milliseconds(config_.body_timeout_ms))
                  .keepaliveTimeout(std::chrono::milliseconds(config_.keepalive_timeout_ms));
  impl_->endpoint->init(opts);
  impl_->endpoint->setHandler(std::make_shared<Handler>(state_));
  impl_->endpoint->serveThreaded();
}

uint16_t HttpServer::port() const {
  return impl_->endpoint ? static_cast<uint16_t>(impl_->endpoint->getPort()) : 0;
}

bool HttpServer::drain(std::chrono::milliseconds timeout) {
  state_->draining.store(true);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (state_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // A reply queued a moment ago still needs its reactor turn to reach the socket.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return state_->in_flight.load() == 0;
}

void HttpServer::stop() {
  if (impl_->endpoint) {
    impl_->endpoint->shutdown();
    impl_->endpoint.reset();
  }
}

int HttpServer::inFlight() const {
  return state_->in_flight.load();
}

}  // namespace baraza
