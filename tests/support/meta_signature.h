#pragma once

#include <string>

namespace baraza::test {

// X-Hub-Signature-256 as Meta computes it: "sha256=" + hex HMAC-SHA256 of the raw body.
std::string metaSignature(const std::string& app_secret, const std::string& body);

}  // namespace baraza::test
