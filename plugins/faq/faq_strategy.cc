#include "faq_strategy.h"

#include <algorithm>
#include <cmath>

#include "plugin_json.h"

namespace baraza::faq {
namespace {

using nlohmann::json;

using plugin::stringField;

}  // namespace

std::vector<Entry> entriesFromJson(const json& entries) {
  std::vector<Entry> out;
  if (!entries.is_array())
    return out;
  for (const auto& e : entries) {
    std::string type = stringField(e, "type");
    if (type != "faq" && type != "canned_reply")
      continue;
    Entry entry{stringField(e, "id"),
                type,
                stringField(e, "question"),
                stringField(e, "answer"),
                stringField(e, "category"),
                {},
                5};
    if (e.contains("keywords") && e["keywords"].is_array()) {
      for (const auto& k : e["keywords"]) {
        if (k.is_string())
          entry.keywords.push_back(k);
      }
    }
    if (e.contains("priority") && e["priority"].is_number_integer())
      entry.priority = e["priority"];
    if (!entry.answer.empty())
      out.push_back(std::move(entry));
  }
  return out;
}

std::shared_ptr<const FaqIndex> FaqStrategy::indexFor(const std::string& tenant_id,
                                                      long long generation) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(tenant_id);
    if (it != cache_.end() && it->second.generation == generation)
      return it->second.index;
  }
  auto text = source_ ? source_(tenant_id) : std::nullopt;
  if (!text)
    return nullptr;
  // Built outside the lock: other tenants' messages are not held up by it.
  auto index =
      std::make_shared<const FaqIndex>(entriesFromJson(json::parse(*text, nullptr, false)));
  std::lock_guard<std::mutex> lock(mutex_);
  Cached& slot = cache_[tenant_id];
  if (slot.generation <= generation) {
    slot.generation = generation;
    slot.index = index;
  }
  return index;
}

Question questionFrom(const plugin::Input& input) {
  Question q;
  q.tenant_id = input.text({"tenant", "id"});
  q.generation = input.integer({"tenant", "generation"}).value_or(0);
  q.threshold_percent = input.integer({"tenant", "settings", "faq_threshold"}).value_or(0);
  q.text = input.text({"message", "text"});
  if (q.text.empty())
    q.text = input.text({"message", "interactive", "title"});
  return q;
}

std::optional<json> FaqStrategy::decide(const Question& question, json& hint) {
  if (question.text.empty() || question.tenant_id.empty())
    return std::nullopt;
  auto index = indexFor(question.tenant_id, question.generation);
  if (!index || index->size() == 0)
    return std::nullopt;
  double threshold = config_.threshold;
  long long percent = question.threshold_percent;
  if (percent > 0 && percent <= 100)
    threshold = static_cast<double>(percent) / 100.0;
  auto matches = index->match(question.text, static_cast<size_t>(std::max(1, config_.hints)));
  if (!matches.empty() && matches.front().score >= threshold) {
    const Entry& best = *matches.front().entry;
    return json{{"reply", {{"kind", "text"}, {"text", best.answer}}},
                {"knowledge_entry_id", best.id},
                {"score", std::round(matches.front().score * 1000) / 1000}};
  }
  json candidates = json::array();
  for (const auto& m : matches) {
    if (m.score >= config_.hint_floor) {
      candidates.push_back({{"id", m.entry->id},
                            {"question", m.entry->question},
                            {"answer", m.entry->answer},
                            {"score", std::round(m.score * 1000) / 1000}});
    }
  }
  if (!candidates.empty())
    hint = {{"candidates", candidates}};
  return std::nullopt;
}

}  // namespace baraza::faq
