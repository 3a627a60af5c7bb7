#pragma once

#include <mutex>
#include <string>
#include <vector>

typedef void CURL;

namespace baraza::ai {

struct HttpAnswer {
  int status = 0;                 // 0: no HTTP answer (timeout, refused, ...)
  std::string body;               // at most 1 MiB
  std::string transport_error;    // libcurl's reason when status is 0
  long long retry_after_ms = -1;  // from Retry-After (seconds), -1 when absent
  bool timed_out = false;
};

// JSON POSTs to AI providers through libcurl, with pooled easy handles (connections and TLS
// stay open between calls). Thread-safe. The bearer key is sent as a header and never kept.
class HttpPoster {
 public:
  HttpPoster() = default;
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  HttpAnswer post(const std::string& url, const std::string& body, const std::string& bearer,
                  long timeout_ms);

 private:
  CURL* acquire();
  void release(CURL* curl);

  std::mutex mutex_;
  std::vector<CURL*> idle_;
};

}  // namespace baraza::ai
