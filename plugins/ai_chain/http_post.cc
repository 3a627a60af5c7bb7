#include "http_post.h"

#include <curl/curl.h>

#include <strings.h>
#include <algorithm>
#include <cstdlib>

namespace baraza::ai {
namespace {

constexpr size_t kMaxBody = 1 << 20;

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<HttpAnswer*>(user);
  size_t n = size * count;
  if (answer->body.size() + n > kMaxBody)
    return 0;  // too big: libcurl aborts the transfer
  answer->body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* answer = static_cast<HttpAnswer*>(user);
  size_t n = size * count;
  static const char kName[] = "retry-after:";
  if (n > sizeof(kName) - 1 && strncasecmp(data, kName, sizeof(kName) - 1) == 0) {
    std::string value(data + sizeof(kName) - 1, n - (sizeof(kName) - 1));
    char* end = nullptr;
    double seconds = std::strtod(value.c_str(), &end);
    if (end != value.c_str() && seconds >= 0 && seconds < 86400)
      answer->retry_after_ms = static_cast<long long>(seconds * 1000);
  }
  return n;
}

}  // namespace

HttpPoster::~HttpPoster() {
  for (CURL* c : idle_)
    curl_easy_cleanup(c);
}

CURL* HttpPoster::acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      CURL* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  return curl_easy_init();
}

void HttpPoster::release(CURL* curl) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() < 16)
    idle_.push_back(curl);
  else
    curl_easy_cleanup(curl);
}

HttpAnswer HttpPoster::post(const std::string& url, const std::string& body,
                            const std::string& bearer, long timeout_ms) {
  HttpAnswer answer;
  CURL* curl = acquire();
  if (!curl) {
    answer.transport_error = "libcurl could not start a request";
    return answer;
  }
  curl_easy_reset(curl);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  std::string auth = "Authorization: Bearer " + bearer;
  headers = curl_slist_append(headers, auth.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);  // the whole call, a slow body too
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 5000L));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &answer);
  CURLcode rc = curl_easy_perform(curl);
  // The header list held the key: wiped before it is freed.
  for (curl_slist* h = headers; h; h = h->next) {
    for (char* p = h->data; *p; ++p)
      *p = 0;
  }
  curl_slist_free_all(headers);
  std::fill(auth.begin(), auth.end(), '\0');
  if (rc != CURLE_OK) {
    answer.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    answer.transport_error = curl_easy_strerror(rc);
    answer.status = 0;
    curl_easy_cleanup(curl);  // a broken connection is not reused
    return answer;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  answer.status = static_cast<int>(status);
  release(curl);
  return answer;
}

}  // namespace baraza::ai
