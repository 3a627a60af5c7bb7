#include "graph_client.h"

#include <curl/curl.h>

namespace baraza::whatsapp {
namespace {

constexpr size_t kMaxPooledHandles = 16;
constexpr long long kMaxAnswerBytes = 1 << 20;  // Graph's JSON answers are a few hundred bytes

struct Sink {
  std::string* text = nullptr;  // collect the body here, or
  std::FILE* file = nullptr;    // write it there
  long long max_bytes = 0;      // 0: no cap
  long long received = 0;
  bool over_cap = false;
};

size_t onData(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  sink->received += static_cast<long long>(n);
  if (sink->max_bytes > 0 && sink->received > sink->max_bytes) {
    sink->over_cap = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  if (sink->file)
    return std::fwrite(data, 1, n, sink->file);
  sink->text->append(data, n);
  return n;
}

}  // namespace

GraphClient::GraphClient(GraphClientOptions options) : options_(std::move(options)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  while (!options_.base_url.empty() && options_.base_url.back() == '/') {
    options_.base_url.pop_back();
  }
}

GraphClient::~GraphClient() {
  for (CURL* c : idle_)
    curl_easy_cleanup(c);
}

std::string GraphClient::urlFor(const std::string& path) const {
  return options_.base_url + "/" + options_.api_version + "/" + path;
}

long long GraphClient::connectionsOpened() const {
  std::lock_guard lock(mutex_);
  return connections_opened_;
}

CURL* GraphClient::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      CURL* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  return curl_easy_init();
}

void GraphClient::release(CURL* curl) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < kMaxPooledHandles) {
    idle_.push_back(curl);
  } else {
    curl_easy_cleanup(curl);
  }
}

GraphResponse GraphClient::perform(CURL* curl, const std::string& url, const std::string& token,
                                   const std::string* post_body, std::FILE* file,
                                   long long max_bytes) {
  GraphResponse r;
  Sink sink;
  sink.text = &r.body;
  sink.file = file;
  sink.max_bytes = max_bytes;
  // Keep the handle's connection cache; reset only the per-request options.
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.request_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onData);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "baraza-whatsapp/0.1");
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_slist* headers = nullptr;
  std::string auth = "Authorization: Bearer " + token;
  headers = curl_slist_append(headers, auth.c_str());
  headers = curl_slist_append(headers, "Expect:");
  if (post_body) {
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post_body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
  }
  if (max_bytes > 0)
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  long new_connections = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &new_connections);
  char* content_type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type)
    r.content_type = content_type;
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
    r.retry_after_s = static_cast<long long>(retry_after);
  curl_slist_free_all(headers);
  {
    std::lock_guard lock(mutex_);
    connections_opened_ += new_connections;
  }
  r.bytes = sink.received;
  if (sink.over_cap || rc == CURLE_FILESIZE_EXCEEDED) {
    r.transport_error = "the answer is larger than " + std::to_string(max_bytes) + " bytes";
    r.http_status = 0;
  } else if (rc != CURLE_OK) {
    r.transport_error = curl_easy_strerror(rc);
    r.http_status = 0;
  } else {
    r.http_status = static_cast<int>(status);
  }
  return r;
}

GraphResponse GraphClient::postJson(const std::string& path, const std::string& body,
                                    const std::string& token) {
  CURL* curl = acquire();
  if (!curl)
    return {0, "", "curl_easy_init failed", "", 0};
  GraphResponse r = perform(curl, urlFor(path), token, &body, nullptr, kMaxAnswerBytes);
  release(curl);
  return r;
}

GraphResponse GraphClient::get(const std::string& path, const std::string& token) {
  CURL* curl = acquire();
  if (!curl)
    return {0, "", "curl_easy_init failed", "", 0};
  GraphResponse r = perform(curl, urlFor(path), token, nullptr, nullptr, kMaxAnswerBytes);
  release(curl);
  return r;
}

GraphResponse GraphClient::download(const std::string& url, const std::string& token,
                                    std::FILE* out, long long max_bytes) {
  CURL* curl = acquire();
  if (!curl)
    return {0, "", "curl_easy_init failed", "", 0};
  GraphResponse r = perform(curl, url, token, nullptr, out, max_bytes);
  release(curl);
  return r;
}

}  // namespace baraza::whatsapp
