#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

typedef void CURL;

namespace baraza::whatsapp {

struct GraphClientOptions {
  std::string base_url = "https://graph.facebook.com";
  std::string api_version = "v23.0";
  long connect_timeout_ms = 3000;
  long request_timeout_ms = 10000;
};

struct GraphResponse {
  int http_status = 0;          // 0: no HTTP answer (see transport_error)
  std::string body;             // the answer, or empty when streamed to a file
  std::string transport_error;  // libcurl's reason for no answer, or the size cap
  std::string content_type;
  long long bytes = 0;          // body bytes received
  long long retry_after_s = 0;  // the answer's Retry-After (seconds or a date), 0 when none
};

// HTTPS to Meta's Graph API through libcurl. Easy handles are pooled and reused, so their
// connections (TLS included) stay open between calls. Thread-safe. Tokens are sent as bearer
// headers and never logged.
class GraphClient {
 public:
  explicit GraphClient(GraphClientOptions options);
  ~GraphClient();
  GraphClient(const GraphClient&) = delete;
  GraphClient& operator=(const GraphClient&) = delete;

  // POST {base}/{version}/{path} with a JSON body.
  GraphResponse postJson(const std::string& path, const std::string& body,
                         const std::string& token);
  // GET {base}/{version}/{path}.
  GraphResponse get(const std::string& path, const std::string& token);
  // GET an absolute URL (Meta's short-lived media URL) into `out`, at most max_bytes.
  GraphResponse download(const std::string& url, const std::string& token, std::FILE* out,
                         long long max_bytes);

  std::string urlFor(const std::string& path) const;
  long long connectionsOpened() const;  // new TCP connections so far (reuse shows as 0 here)

 private:
  GraphResponse perform(CURL* curl, const std::string& url, const std::string& token,
                        const std::string* post_body, std::FILE* sink, long long max_bytes);
  CURL* acquire();
  void release(CURL* curl);

  GraphClientOptions options_;
  mutable std::mutex mutex_;
  std::vector<CURL*> idle_;
  long long connections_opened_ = 0;
};

}  // namespace baraza::whatsapp
