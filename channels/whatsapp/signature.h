#pragma once

#include <string>
#include <string_view>

namespace baraza::whatsapp {

enum class SignatureCheck {
  kValid,
  kMissing,    // no X-Hub-Signature-256 header
  kMalformed,  // not "sha256=" + 64 hex digits (sha1=, odd length, non-hex, truncated)
  kMismatch,   // well formed, but not the HMAC of these bytes under this secret
};

const char* signatureCheckName(SignatureCheck check);

// Checks Meta's X-Hub-Signature-256 header: "sha256=" + hex(HMAC-SHA256(app_secret, body)),
// over the raw body bytes exactly as received, compared in constant time. `header` is null when
// the request had none.
SignatureCheck checkSignature(const char* header, std::string_view app_secret,
                              std::string_view body);

// "sha256=<hex>" for `body` under `app_secret`: what Meta would send (tests, `baraza simulate`).
std::string signatureHeader(std::string_view app_secret, std::string_view body);

}  // namespace baraza::whatsapp
