#pragma once

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "scripting/knowledge_search.h"
#include "scripting/script_api.h"

namespace baraza {

// ScriptServices kept in memory: for `baraza script test`, the data-driven script tests and
// the benchmarks. kv honours the same key, value and 1 MiB tenant limits as the database's.
class MemoryScriptServices : public ScriptServices {
 public:
  static constexpr size_t kTenantKvBytes = 1 << 20;
  std::chrono::milliseconds delay{0};  // each kv call waits this long (a slow database)

  bool kvGet(const std::string& key, std::optional<std::string>& value,
             std::string& error) override {
    (void)error;
    std::this_thread::sleep_for(delay);
    auto it = kv.find(key);
    if (it != kv.end())
      value = it->second;
    return true;
  }
  bool kvSet(const std::string& key, const std::string& value, long long ttl_seconds,
             std::string& error) override {
    (void)ttl_seconds;
    std::this_thread::sleep_for(delay);
    size_t total = key.size() + value.size();
    for (const auto& [k, v] : kv) {
      if (k != key)
        total += k.size() + v.size();
    }
    if (total > kTenantKvBytes) {
      error = "the tenant's kv store is full (1 MiB)";
      return false;
    }
    kv[key] = value;
    return true;
  }
  bool kvDel(const std::string& key, std::string& error) override {
    (void)error;
    kv.erase(key);
    return true;
  }
  bool recentMessages(int limit, nlohmann::json& out, std::string& error) override {
    (void)error;
    out = nlohmann::json::array();
    size_t start = recent.size() > static_cast<size_t>(limit) ? recent.size() - limit : 0;
    for (size_t i = start; i < recent.size(); ++i)
      out.push_back(recent[i]);
    return true;
  }
  nlohmann::json faqSearch(const std::string& text, int limit) override {
    return searchKnowledge(knowledge, text, limit);
  }

  std::map<std::string, std::string> kv;
  nlohmann::json recent = nlohmann::json::array();
  std::vector<CachedKnowledge> knowledge;
};

}  // namespace baraza
