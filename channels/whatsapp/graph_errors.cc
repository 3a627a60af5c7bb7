#include "graph_errors.h"

namespace baraza::whatsapp {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

GraphErrorVerdict retry(milliseconds delay, const char* reason) {
  return {GraphErrorClass::kRetryLater, delay, reason};
}
GraphErrorVerdict fatal(const char* reason) {
  return {GraphErrorClass::kFatal, {}, reason};
}

}  // namespace

const char* graphErrorClassName(GraphErrorClass c) {
  switch (c) {
    case GraphErrorClass::kRetryLater:
      return "retry_later";
    case GraphErrorClass::kOutsideWindow:
      return "outside_window";
    case GraphErrorClass::kFatal:
      return "fatal";
  }
  return "unknown";
}

GraphErrorVerdict classifyGraphError(int http_status, long long code, long long subcode,
                                     bool is_transient) {
  (void)subcode;  // no subcode changes a verdict yet; kept so callers pass what Meta sent
  if (http_status == 0)
    return retry(seconds(2), "transport");
  switch (code) {
    // Throttling: the number's throughput, the pair rate to one user, app and account limits.
    case 130429:
      return retry(seconds(1), "throughput_limit");
    case 131056:
      return retry(seconds(6), "pair_rate_limit");
    case 4:
    case 80007:
    case 613:
      return retry(seconds(60), "rate_limit");
    // Meta's own trouble.
    case 1:
    case 2:
    case 131000:
    case 131016:
    case 133004:
      return retry(seconds(5), "meta_unavailable");
    case 131047:
      return {GraphErrorClass::kOutsideWindow, {}, "outside_24h_window"};
    case 131048:
      return fatal("spam_limit");
    case 131049:
      return fatal("marketing_user_limit");
    case 190:
      return fatal("token_invalid");
    case 10:
    case 200:
      return fatal("permission_denied");
    case 131026:
      return fatal("undeliverable");
    case 100:
      return fatal("bad_parameter");
    case 131051:
      return fatal("unsupported_type");
    case 131053:
      return fatal("media_upload_error");
    case 130472:
      return fatal("user_in_experiment");
    case 131021:
      return fatal("recipient_is_sender");
    case 132000:
    case 132001:
    case 132005:
    case 132007:
    case 132012:
      return fatal("template_error");
    default:
      break;
  }
  if (is_transient)
    return retry(seconds(5), "transient");
  if (http_status == 429)
    return retry(seconds(30), "http_429");
  if (http_status >= 500)
    return retry(seconds(5), "http_5xx");
  return fatal("client_error");
}

}  // namespace baraza::whatsapp
