#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace baraza::test {

struct RecordedRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // rebuilt by Pistache: order not kept
  std::string authorization;
  std::string content_type;
  std::string body;
};

struct MockAnswer {
  int status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  std::chrono::milliseconds delay{0};
  bool chunked = false;  // Transfer-Encoding: chunked, so no Content-Length announces the size
  std::vector<std::pair<std::string, std::string>> headers{};  // only Retry-After today
  // Chunked, 8 bytes per chunk with this pause between chunks: a slow stream.
  std::chrono::milliseconds trickle{0};
  // No answer at all: the connection is cut (SO_LINGER 0, so a reset where the stack can), as
  // by a crashed proxy.
  bool hang_up = false;
};

// A stand-in for Meta's Graph API on 127.0.0.1 and a free port: it records every request and
// answers what the test's responder says (any status, any Meta error body, any delay).
class MockGraph {
 public:
  using Responder = std::function<MockAnswer(const RecordedRequest&)>;

  MockGraph();
  ~MockGraph();
  MockGraph(const MockGraph&) = delete;
  MockGraph& operator=(const MockGraph&) = delete;

  int port() const;
  std::string baseUrl() const;  // http://127.0.0.1:PORT
  void respond(Responder responder);
  std::vector<RecordedRequest> requests() const;
  // A Meta error body: {"error": {"message", "type", "code", "error_subcode"?, "fbtrace_id",
  // "is_transient"?, "error_data": {"details"}}}.
  static std::string errorBody(long long code, const std::string& message, long long subcode = 0,
                               bool transient = false);

  struct State;

 private:
  std::shared_ptr<State> state_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace baraza::test
