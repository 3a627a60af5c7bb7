#include "signature.h"

#include "baraza/query_string.h"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace baraza::whatsapp {
namespace {

constexpr std::string_view kPrefix = "sha256=";
constexpr size_t kDigestSize = 32;

bool hmacSha256(std::string_view key, std::string_view data, unsigned char* out) {
  unsigned int len = 0;
  return HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
              &len) != nullptr &&
         len == kDigestSize;
}

}  // namespace

const char* signatureCheckName(SignatureCheck check) {
  switch (check) {
    case SignatureCheck::kValid:
      return "valid";
    case SignatureCheck::kMissing:
      return "missing";
    case SignatureCheck::kMalformed:
      return "malformed";
    case SignatureCheck::kMismatch:
      return "mismatch";
  }
  return "unknown";
}

SignatureCheck checkSignature(const char* header, std::string_view app_secret,
                              std::string_view body) {
  if (!header)
    return SignatureCheck::kMissing;
  std::string_view value(header);
  if (value.size() != kPrefix.size() + 2 * kDigestSize ||
      value.compare(0, kPrefix.size(), kPrefix) != 0) {
    return SignatureCheck::kMalformed;
  }
  unsigned char given[kDigestSize];
  for (size_t i = 0; i < kDigestSize; ++i) {
    int hi = hexDigitValue(value[kPrefix.size() + 2 * i]);
    int lo = hexDigitValue(value[kPrefix.size() + 2 * i + 1]);
    if (hi < 0 || lo < 0)
      return SignatureCheck::kMalformed;
    given[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  unsigned char expected[kDigestSize];
  if (app_secret.empty() || !hmacSha256(app_secret, body, expected)) {
    return SignatureCheck::kMismatch;
  }
  return CRYPTO_memcmp(given, expected, kDigestSize) == 0 ? SignatureCheck::kValid
                                                          : SignatureCheck::kMismatch;
}

std::string signatureHeader(std::string_view app_secret, std::string_view body) {
  unsigned char digest[kDigestSize];
  hmacSha256(app_secret, body, digest);
  static const char* hex = "0123456789abcdef";
  std::string out(kPrefix);
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace baraza::whatsapp
