#include "support/meta_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>

namespace baraza::test {

std::string metaSignature(const std::string& app_secret, const std::string& body) {
  unsigned char digest[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), app_secret.data(), static_cast<int>(app_secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &len);
  std::string out = "sha256=";
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof(hex), "%02x", digest[i]);
    out += hex;
  }
  return out;
}

}  // namespace baraza::test
