#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "faq_index.h"
#include "plugin_input.h"

namespace baraza::faq {

// The tenant's knowledge entries as JSON (the host's tenant_knowledge), nullopt when unknown.
using KnowledgeSource = std::function<std::optional<std::string>(const std::string& tenant_id)>;

struct FaqConfig {
  double threshold = 0.5;  // strategies.faq.threshold, percent / 100
  int hints = 3;           // near misses handed to later strategies
  double hint_floor = 0.2;
};

// Reads knowledge entries (faq and canned_reply; other types are not answers).
std::vector<Entry> entriesFromJson(const nlohmann::json& entries);

// What the faq reads of a strategy's input (docs/plugins.md).
struct Question {
  std::string tenant_id;            // tenant.id
  long long generation = 0;         // tenant.generation: the tenant's config version
  long long threshold_percent = 0;  // tenant.settings.faq_threshold; 0: the plugin's own
  std::string text;                 // message.text, or message.interactive.title
};
Question questionFrom(const plugin::Input& input);

// The faq strategy: one index per tenant, rebuilt when the tenant's config generation changes.
class FaqStrategy {
 public:
  FaqStrategy(FaqConfig config, KnowledgeSource source)
      : config_(config), source_(std::move(source)) {}

  // {"reply", "knowledge_entry_id", "score"} when an entry answers; otherwise nullopt, with
  // `hint` set to {"candidates": [...]} when some came close.
  std::optional<nlohmann::json> decide(const Question& question, nlohmann::json& hint);

  std::shared_ptr<const FaqIndex> indexFor(const std::string& tenant_id, long long generation);

 private:
  struct Cached {
    long long generation = -1;
    std::shared_ptr<const FaqIndex> index;
  };
  FaqConfig config_;
  KnowledgeSource source_;
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace baraza::faq
