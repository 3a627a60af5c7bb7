// WhatsAppChannel's outbound half: sending through the Graph API and fetching inbound media.
#include <cstdio>
#include <cstring>

#include <openssl/evp.h>

#include "graph_errors.h"
#include "message_builder.h"
#include "whatsapp_channel.h"

namespace baraza::whatsapp {
namespace {

using json = nlohmann::json;

// Writes `result` into the caller's buffer; a result too long for it becomes a short error.
int finish(const json& result, char* out, size_t cap, int rc) {
  std::string text = result.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() + 1 > cap) {
    text = R"({"ok":false,"class":"fatal","reason":"result_too_long"})";
    rc = rc == 0 ? 0 : rc;
  }
  if (cap > 0) {
    size_t n = std::min(text.size(), cap - 1);
    std::memcpy(out, text.data(), n);
    out[n] = '\0';
  }
  return rc;
}

json failure(const GraphErrorVerdict& v) {
  json r{{"ok", false}, {"class", graphErrorClassName(v.cls)}, {"reason", v.reason}};
  if (v.cls == GraphErrorClass::kRetryLater)
    r["retry_after_ms"] = v.delay.count();
  return r;
}

json invalid(const std::string& details) {
  return {{"ok", false}, {"class", "fatal"}, {"reason", "invalid_request"}, {"details", details}};
}

struct Account {
  std::string phone_number_id;
  std::string token;
};

bool account(const json& request, Account& a, std::string& problem) {
  auto it = request.find("account");
  if (it == request.end() || !it->is_object()) {
    problem = "account {phone_number_id, access_token} is required";
    return false;
  }
  a.phone_number_id = it->value("phone_number_id", "");
  a.token = it->value("access_token", "");
  if (a.phone_number_id.empty() || a.token.empty()) {
    problem = "account needs phone_number_id and access_token";
    return false;
  }
  if (a.phone_number_id.find_first_not_of("0123456789") != std::string::npos) {
    problem = "account.phone_number_id must be digits";
    return false;
  }
  return true;
}

// Meta's error body: {"error": {"code", "error_subcode", "message", "is_transient",
// "error_data": {"details"}}}.
json graphFailure(const GraphResponse& r) {
  if (r.http_status == 0) {
    json f = failure(classifyGraphError(0, 0, 0, false));
    f["details"] = r.transport_error;
    return f;
  }
  json body = json::parse(r.body, nullptr, false);
  const json& e = body.is_object() && body.contains("error") && body["error"].is_object()
                      ? body["error"]
                      : json::object();
  auto number = [&](const char* key) {
    auto it = e.find(key);
    return it != e.end() && it->is_number_integer() ? it->get<long long>() : 0LL;
  };
  bool transient =
      e.contains("is_transient") && e["is_transient"].is_boolean() && e["is_transient"].get<bool>();
  json f = failure(
      classifyGraphError(r.http_status, number("code"), number("error_subcode"), transient));
  f["http_status"] = r.http_status;
  f["code"] = number("code");
  if (number("error_subcode"))
    f["subcode"] = number("error_subcode");
  if (e.contains("message") && e["message"].is_string())
    f["message"] = e["message"];
  if (e.contains("error_data") && e["error_data"].is_object() &&
      e["error_data"].contains("details") && e["error_data"]["details"].is_string()) {
    f["details"] = e["error_data"]["details"];
  }
  return f;
}

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
  GraphResponse r = graph_.postJson(a.phone_number_id + "/messages", built.body.dump(), a.token);
  if (r.http_status >= 200 && r.http_status < 300) {
    json body = json::parse(r.body, nullptr, false);
    json result{{"ok", true}};
    if (body.is_object() && body.contains("messages") && body["messages"].is_array() &&
        !body["messages"].empty() && body["messages"][0].is_object()) {
      result["id"] = body["messages"][0].value("id", "");
    }
    if (body.is_object() && body.contains("contacts") && body["contacts"].is_array() &&
        !body["contacts"].empty() && body["contacts"][0].is_object()) {
      result["wa_id"] = body["contacts"][0].value("wa_id", "");
    }
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
  std::string media_id = req.value("media_id", "");
  std::string path = req.value("path", "");
  long long max_bytes = req.value("max_bytes", config_.media_max_bytes);
  if (media_id.empty() || media_id.find_first_not_of("0123456789") != std::string::npos) {
    return finish(invalid("media_id must be digits"), out, cap, 1);
  }
  if (path.empty())
    return finish(invalid("path (the file to write) is required"), out, cap, 1);
  max_bytes = std::min(max_bytes, config_.media_max_bytes);

  // 1. The media id gives a URL that lives five minutes.
  GraphResponse info = graph_.get(media_id + "?phone_number_id=" + a.phone_number_id, a.token);
  if (info.http_status != 200) {
    count("baraza_whatsapp_media_total", "result=failed");
    return finish(graphFailure(info), out, cap, 1);
  }
  json meta = json::parse(info.body, nullptr, false);
  std::string url = meta.is_object() ? meta.value("url", "") : "";
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    count("baraza_whatsapp_media_total", "result=failed");
    return finish(invalid("Graph answered without a media url"), out, cap, 1);
  }
  // 2. The bytes, with the bearer token, capped, straight into the file.
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file)
    return finish(invalid("cannot write " + path), out, cap, 1);
  GraphResponse bytes = graph_.download(url, a.token, file, max_bytes);
  bool written = std::fclose(file) == 0;
  auto fail = [&](json f) {
    std::remove(path.c_str());
    count("baraza_whatsapp_media_total", "result=failed");
    return finish(f, out, cap, 1);
  };
  if (bytes.http_status != 200 || !written) {
    if (bytes.transport_error.find("larger than") != std::string::npos) {
      return fail({{"ok", false},
                   {"class", "fatal"},
                   {"reason", "media_too_large"},
                   {"details", bytes.transport_error}});
    }
    return fail(graphFailure(bytes));
  }
  // 3. The file must be what Meta says it is (its sha256, hex or base64, as the API and the
  //    webhook give it).
  std::string b64;
  std::string hex = fileSha256(path, b64);
  for (const std::string& expected :
       {meta.value("sha256", std::string()), req.value("expected_sha256", std::string())}) {
    if (!expected.empty() && expected != hex && expected != b64) {
      return fail({{"ok", false},
                   {"class", "fatal"},
                   {"reason", "sha256_mismatch"},
                   {"details", "the downloaded file's SHA-256 is " + hex}});
    }
  }
  count("baraza_whatsapp_media_total", "result=fetched");
  std::string mime = meta.value("mime_type", bytes.content_type);
  return finish(
      {{"ok", true}, {"path", path}, {"mime_type", mime}, {"bytes", bytes.bytes}, {"sha256", hex}},
      out, cap, 0);
}

}  // namespace baraza::whatsapp
