#include "log/redactor.h"

#include <algorithm>
#include <cstring>
#include <mutex>

namespace baraza {

static_assert(Redactor::kMinLength == sizeof(uint32_t), "the prefix index keys on four bytes");

Redactor& Redactor::instance() {
  static Redactor redactor;
  return redactor;
}

uint32_t Redactor::prefixOf(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < kMinLength) {
    return;
  }
  const std::string value(secret);
  {
    std::shared_lock lock(mutex_);
    if (secrets_.count(value))
      return;
  }
  std::unique_lock lock(mutex_);
  if (!secrets_.insert(value).second)
    return;
  auto& same_prefix = by_prefix_[prefixOf(value.data())];
  same_prefix.push_back(value);
  std::stable_sort(same_prefix.begin(), same_prefix.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void Redactor::clear() {
  std::unique_lock lock(mutex_);
  secrets_.clear();
  by_prefix_.clear();
}

bool Redactor::empty() const {
  std::shared_lock lock(mutex_);
  return secrets_.empty();
}

size_t Redactor::size() const {
  std::shared_lock lock(mutex_);
  return secrets_.size();
}

std::string Redactor::redact(std::string_view text) const {
  std::shared_lock lock(mutex_);
  if (secrets_.empty() || text.size() < kMinLength)
    return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const std::string* found = nullptr;
    if (pos + kMinLength <= text.size()) {
      auto it = by_prefix_.find(prefixOf(text.data() + pos));
      if (it != by_prefix_.end()) {
        for (const auto& secret : it->second) {
          if (text.compare(pos, secret.size(), secret) == 0) {
            found = &secret;
            break;
          }
        }
      }
    }
    if (found) {
      out += kMask;
      pos += found->size();
    } else {
      out += text[pos++];
    }
  }
  return out;
}

}  // namespace baraza
