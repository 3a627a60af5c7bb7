#pragma once

#include <chrono>
#include <string>

namespace baraza::whatsapp {

enum class GraphErrorClass {
  kRetryLater,     // throttled or transient: send again after `delay` (with jitter)
  kOutsideWindow,  // 131047: the 24 h window is closed; only a template may be sent
  kFatal,          // never retried: dead-letter it (token, spam limit, bad parameter, ...)
};

const char* graphErrorClassName(GraphErrorClass c);

struct GraphErrorVerdict {
  GraphErrorClass cls;
  std::chrono::milliseconds delay{0};  // suggested first delay for kRetryLater
  std::string reason;                  // short, for logs and metrics labels
};

// What a failed Graph API call means for the sender. `http_status` is 0 for a transport error
// or timeout (then `code` is ignored); `code`/`subcode` come from Meta's error body
// (error.code, error.error_subcode; 0 when absent) and `is_transient` from error.is_transient.
GraphErrorVerdict classifyGraphError(int http_status, long long code, long long subcode,
                                     bool is_transient);

}  // namespace baraza::whatsapp
