#pragma once

#include <deque>
#include <mutex>
#include <string>

#include "baraza/plugin_api.h"

namespace baraza::loopback {

// A channel that talks to no network: tests post inbound messages to it over HTTP and read
// back what the engine sent through it. It is the engine's "lib in / lib out" for integration
// tests.
class LoopbackChannel {
 public:
  LoopbackChannel(const baraza_host_api* host, size_t max_sent, int max_delay_ms);

  void onHttp(const baraza_http_request& request);
  int send(const char* message, size_t len, char* result, size_t cap);

 private:
  void reply(const baraza_http_request& request, int status, const std::string& body);
  void log(baraza_log_level level, const std::string& text);

  const baraza_host_api* host_;
  size_t max_sent_;
  int max_delay_ms_;
  std::mutex mutex_;
  std::deque<std::string> sent_;  // newest last, at most max_sent_
  unsigned long long next_id_ = 1;
};

}  // namespace baraza::loopback
