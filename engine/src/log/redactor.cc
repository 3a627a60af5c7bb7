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
  // The longest secret starting at `at`, or 0.
  auto matchAt = [&](size_t at) -> size_t {
    if (at + kMinLength > text.size())
      return 0;
    auto it = by_prefix_.find(prefixOf(text.data() + at));
    if (it == by_prefix_.end())
      return 0;
    for (const auto& secret : it->second) {  // longest first
      if (text.compare(at, secret.size(), secret) == 0)
        return secret.size();
    }
    return 0;
  };
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t length = matchAt(pos);
    if (length == 0) {
      out += text[pos++];
      continue;
    }
    // A secret starting inside this one may end after it: one mask covers them all.
    size_t end = pos + length;
    for (size_t at = pos + 1; at < end; ++at)
      end = std::max(end, at + matchAt(at));
    out += kMask;
    pos = end;
  }
  return out;
}

}  // namespace baraza
