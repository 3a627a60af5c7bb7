#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace baraza {

// Values marked secret (tokens, app secrets, keys) registered here are replaced by "[redacted]"
// in every log line, whoever writes it: engine code or a plugin through the host API. Tenant
// credentials are registered when they are opened, so the set grows with the tenants; a line
// costs one hash lookup per character, not one search per secret.
class Redactor {
 public:
  static Redactor& instance();

  // Values shorter than kMinLength are ignored: masking "on" or "1" would garble every line.
  static constexpr size_t kMinLength = 4;
  static constexpr std::string_view kMask = "[redacted]";

  // Cheap when `secret` is known already (a shared lock and a hash lookup), so callers may
  // register a credential every time they open it.
  void add(std::string_view secret);
  void clear();
  std::string redact(std::string_view text) const;
  bool empty() const;
  size_t size() const;

 private:
  static uint32_t prefixOf(const char* p);

  mutable std::shared_mutex mutex_;
  std::unordered_set<std::string> secrets_;
  // The secrets by their first kMinLength bytes, longest first, so a secret containing another
  // wins.
  std::unordered_map<uint32_t, std::vector<std::string>> by_prefix_;
};

}  // namespace baraza
