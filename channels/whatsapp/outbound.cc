// WhatsAppChannel's outbound half: sending through the Graph API and fetching inbound media.
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <openssl/evp.h>

#include "graph_result.h"
#include "message_builder.h"
#include "whatsapp_channel.h"

namespace baraza::whatsapp {
namespace {

using json = nlohmann::json;

std::string fileSha256(const std::string& path, std::string& base64) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return "";
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    EVP_DigestUpdate(ctx, buf, n);
  std::fclose(f);
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  unsigned char b64[64];
  EVP_EncodeBlock(b64, digest, 32);
  base64 = reinterpret_cast<char*>(b64);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace

void writeInternalError(char* out, size_t cap) {
  finish({{"ok", false}, {"class", "retry_later"}, {"reason", "internal"}}, out, cap, 2);
}

int WhatsAppChannel::send(std::string_view request, char* out, size_t cap) {
  json msg = json::parse(request.begin(), request.end(), nullptr, false);
  if (msg.is_discarded() || !msg.is_object()) {
    count("baraza_whatsapp_sends_total", "result=invalid");
    return finish(invalid("the request must be a JSON object"), out, cap, 1);
  }
  Account a;
  std::string problem;
  if (!account(msg, a, problem)) {
    count("baraza_whatsapp_sends_total", "result=invalid");
    return finish(invalid(problem), out, cap, 1);
  }
  BuiltMessage built = buildGraphMessage(msg);
  if (!built.ok) {
    count("baraza_whatsapp_sends_total", "result=invalid");
    return finish(invalid(built.error), out, cap, 1);
  }
  if (config_.dry_run) {
    // Unique across restarts too: the engine stores every id under a unique key.
    static const long long started = std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count();
    static std::atomic<long long> sequence{0};
    std::string id = "wamid.DRYRUN-" + std::to_string(started) + "-" + std::to_string(++sequence);
    log(BARAZA_LOG_INFO, "dry run: POST /" + config_.api_version + "/" + a.phone_number_id +
                             "/messages " + built.body.dump() + " -> " + id);
    count("baraza_whatsapp_sends_total", "result=dry_run");
    return finish({{"ok", true}, {"id", id}, {"dry_run", true}}, out, cap, 0);
  }
  GraphResponse r = graph_.postJson(a.phone_number_id + "/messages", built.body.dump(), a.token);
  if (r.http_status >= 200 && r.http_status < 300) {
    json body = json::parse(r.body, nullptr, false);
    // Meta took the message: whatever the answer looks like, this is a success, never a
    // reason to send it again.
    json result{{"ok", true}};
    auto first = [&](const char* list, const char* key) -> std::string {
      if (!body.is_object() || !body.contains(list) || !body[list].is_array() ||
          body[list].empty()) {
        return "";
      }
      return str(body[list][0], key);
    };
    if (!first("messages", "id").empty())
      result["id"] = first("messages", "id");
    if (!first("contacts", "wa_id").empty())
      result["wa_id"] = first("contacts", "wa_id");
    count("baraza_whatsapp_sends_total", "result=sent");
    return finish(result, out, cap, 0);
  }
  json f = graphFailure(r);
  count("baraza_whatsapp_sends_total", "result=" + f["class"].get<std::string>());
  count("baraza_whatsapp_send_errors_total", "reason=" + f["reason"].get<std::string>());
  if (f["class"] == "fatal") {
    log(BARAZA_LOG_WARN, "send from " + a.phone_number_id +
                             " failed for good: " + f["reason"].get<std::string>() + " (code " +
                             std::to_string(f.value("code", 0LL)) + ")");
  }
  return finish(f, out, cap, 1);
}

int WhatsAppChannel::fetchMedia(std::string_view request, char* out, size_t cap) {
  json req = json::parse(request.begin(), request.end(), nullptr, false);
  if (req.is_discarded() || !req.is_object()) {
    return finish(invalid("the request must be a JSON object"), out, cap, 1);
  }
  Account a;
  std::string problem;
  if (!account(req, a, problem))
    return finish(invalid(problem), out, cap, 1);
  std::string media_id = str(req, "media_id");
  std::string path = str(req, "path");
  long long max_bytes = config_.media_max_bytes;
  if (req.contains("max_bytes") && req["max_bytes"].is_number_integer() &&
      req["max_bytes"].get<long long>() > 0) {
    max_bytes = std::min(req["max_bytes"].get<long long>(), config_.media_max_bytes);
  }
  if (media_id.empty() || media_id.find_first_not_of("0123456789") != std::string::npos) {
    return finish(invalid("media_id must be digits"), out, cap, 1);
  }
  if (path.empty())
    return finish(invalid("path (the file to write) is required"), out, cap, 1);

  // 1. The media id gives a URL that lives five minutes.
  GraphResponse info = graph_.get(media_id + "?phone_number_id=" + a.phone_number_id, a.token);
  if (info.http_status != 200) {
    count("baraza_whatsapp_media_total", "result=failed");
    return finish(graphFailure(info), out, cap, 1);
  }
  json meta = json::parse(info.body, nullptr, false);
  std::string url = str(meta, "url");
  // The bearer token goes with the download: only over TLS, unless the Graph API itself is
  // plain http (a local mock in tests).
  bool plain_ok = config_.graph_base_url.rfind("http://", 0) == 0;
  if (url.rfind("https://", 0) != 0 && !(plain_ok && url.rfind("http://", 0) == 0)) {
    count("baraza_whatsapp_media_total", "result=failed");
    return finish(invalid("Graph answered without an https media url"), out, cap, 1);
  }
  // 2. The bytes, with the bearer token, capped, into PATH.part, renamed once checked: an
  //    existing file at PATH is never truncated by a failed fetch.
  const std::string part = path + ".part";
  std::FILE* file = std::fopen(part.c_str(), "wb");
  if (!file)
    return finish(invalid("cannot write " + part), out, cap, 1);
  GraphResponse bytes = graph_.download(url, a.token, file, max_bytes);
  bool written = std::fclose(file) == 0;
  auto fail = [&](json f) {
    std::remove(part.c_str());
    count("baraza_whatsapp_media_total", "result=failed");
    return finish(f, out, cap, 1);
  };
  if (bytes.transport_error.find("larger than") != std::string::npos) {
    return fail({{"ok", false},
                 {"class", "fatal"},
                 {"reason", "media_too_large"},
                 {"details", bytes.transport_error}});
  }
  if (bytes.http_status != 200)
    return fail(graphFailure(bytes));
  if (!written) {
    return fail({{"ok", false},
                 {"class", "retry_later"},
                 {"reason", "local_write"},
                 {"retry_after_ms", 5000},
                 {"details", "writing " + part + " failed"}});
  }
  // 3. The file must be what Meta says it is (its sha256, hex or base64, as the API and the
  //    webhook give it).
  std::string b64;
  std::string hex = fileSha256(part, b64);
  auto lower = [](std::string v) {
    for (auto& c : v)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
  };
  for (const std::string& expected : {str(meta, "sha256"), str(req, "expected_sha256")}) {
    if (!expected.empty() && lower(expected) != hex && expected != b64) {
      return fail({{"ok", false},
                   {"class", "fatal"},
                   {"reason", "sha256_mismatch"},
                   {"details", "the downloaded file's SHA-256 is " + hex}});
    }
  }
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    return fail({{"ok", false},
                 {"class", "retry_later"},
                 {"reason", "local_write"},
                 {"retry_after_ms", 5000},
                 {"details", "cannot move the file to " + path}});
  }
  count("baraza_whatsapp_media_total", "result=fetched");
  std::string mime = str(meta, "mime_type").empty() ? bytes.content_type : str(meta, "mime_type");
  return finish(
      {{"ok", true}, {"path", path}, {"mime_type", mime}, {"bytes", bytes.bytes}, {"sha256", hex}},
      out, cap, 0);
}

}  // namespace baraza::whatsapp
