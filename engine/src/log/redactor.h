#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace baraza {

// Values marked secret (tokens, app secrets, keys) registered here are replaced by "[redacted]"
// in every log line, whoever writes it: engine code or a plugin through the host API.
class Redactor {
 public:
  static Redactor& instance();

  // Values shorter than kMinLength are ignored: masking "on" or "1" would garble every line.
  static constexpr size_t kMinLength = 4;
  static constexpr std::string_view kMask = "[redacted]";

  void add(std::string_view secret);
  void clear();
  std::string redact(std::string_view text) const;
  bool empty() const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::string> secrets_;  // longest first, so a secret containing another wins
};

}  // namespace baraza
