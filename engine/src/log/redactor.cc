#include "log/redactor.h"

#include <algorithm>
#include <mutex>

namespace baraza {

Redactor& Redactor::instance() {
  static Redactor redactor;
  return redactor;
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < kMinLength) {
    return;
  }
  std::unique_lock lock(mutex_);
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) {
    return;
  }
  secrets_.emplace_back(secret);
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void Redactor::clear() {
  std::unique_lock lock(mutex_);
  secrets_.clear();
}

bool Redactor::empty() const {
  std::shared_lock lock(mutex_);
  return secrets_.empty();
}

std::string Redactor::redact(std::string_view text) const {
  std::string out(text);
  std::shared_lock lock(mutex_);
  for (const auto& secret : secrets_) {
    size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

}  // namespace baraza
