#pragma once

#include <map>
#include <string>

namespace baraza::test {

struct RawResponse {
  int status = 0;
  std::string version;                         // "HTTP/1.1"
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool closed = false;  // the server closed the connection after this response
};

// A plain HTTP/1.x client on one TCP connection, so tests see exactly what the server does
// with keep-alive, headers and bodies.
class HttpConnection {
 public:
  explicit HttpConnection(int port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends raw bytes and reads one response (by Content-Length). Throws on a socket error or
  // when no whole response arrives within the timeout.
  RawResponse roundTrip(const std::string& raw_request, int timeout_ms = 10000);
  void sendRaw(const std::string& bytes);
  RawResponse readResponse(int timeout_ms = 10000);
  // True when the server has closed its side (read returns 0) within timeout_ms.
  bool waitClosed(int timeout_ms);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// One request on a new connection.
RawResponse httpRequest(int port, const std::string& method, const std::string& path,
                        const std::string& body = "",
                        const std::map<std::string, std::string>& headers = {});

}  // namespace baraza::test
