#include "pipeline/strategy_input.h"

#include <algorithm>

#include "tenancy/local_time.h"

namespace baraza {
namespace {

using nlohmann::json;

std::string dumped(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json tenantView(const TenantConfig& tenant, long long now_ms) {
  json tmpl = nullptr;
  for (const auto& t : tenant.templates) {
    if (t.spec.is_default && t.spec.active) {
      tmpl = {{"name", t.spec.name},
              {"system_prompt", t.spec.system_prompt},
              {"tone", t.spec.tone},
              {"max_response_length", t.spec.max_response_length}};
    }
  }
  json providers = json::array();
  for (const auto& p : tenant.ai_providers) {
    providers.push_back(
        {{"name", p.name}, {"model", p.model}, {"has_key", !p.api_key_sealed.empty()}});
  }
  return {{"id", tenant.id},
          {"slug", tenant.slug},
          {"name", tenant.name},
          {"generation", tenant.generation},
          {"settings", tenant.settings},
          {"open_now", tenantOpenAt(tenant.settings, static_cast<std::time_t>(now_ms / 1000))},
          {"template", tmpl},
          {"ai_providers", providers}};
}

}  // namespace

ChainReads chainReads(const PluginHost& plugins, const std::string& chain) {
  ChainReads reads;
  for (const auto& name : strategyNames(chain)) {
    const LoadedPlugin* p = plugins.find(name);
    if (!p || !p->strategy)
      continue;
    uint32_t flags = PluginHost::strategyFlags(*p);
    if (p->abi_minor < 5) {  // built before strategies said what they read
      reads.streak = true;
      reads.history = reads.history || (flags & BARAZA_STRATEGY_WAITS);
      continue;
    }
    reads.streak = reads.streak || (flags & BARAZA_STRATEGY_READS_STREAK);
    reads.history = reads.history || (flags & BARAZA_STRATEGY_READS_HISTORY);
  }
  return reads;
}

std::shared_ptr<const std::string> TenantInputs::view(const TenantConfig& tenant,
                                                      long long now_ms) {
  long long minute = now_ms / 60000;
  std::lock_guard lock(mutex_);
  Entry& e = views_[tenant.id];
  if (e.generation != tenant.generation || e.minute != minute || !e.text) {
    e.text = std::make_shared<const std::string>(dumped(tenantView(tenant, now_ms)));
    e.generation = tenant.generation;
    e.minute = minute;
  }
  return e.text;
}

std::string strategyInput(MessageWork& w, TenantScope& tx, TenantInputs& tenants,
                          ChainReads reads) {
  const TenantConfig& tenant = *w.tenant;
  long long after = tenant.settings.value("escalation_after_unanswered", 3LL);
  int streak = 0;
  if (reads.streak && after > 0 && !w.conversation.created) {
    streak = message_store::unansweredStreak(tx, tenant.id, w.conversation.id, w.message_id,
                                             static_cast<int>(std::min(after, 100LL)));
  }
  json conversation{{"id", w.conversation.id},
                    {"window_expires_at", w.conversation.window_expires_at},
                    {"unanswered_streak", streak}};
  if (reads.history) {
    json history = json::array();
    if (!w.conversation.created) {
      for (const auto& line : message_store::history(tx, tenant.id, w.conversation.id, 11)) {
        if (line.id == w.message_id || line.body.empty())
          continue;
        history.push_back(
            {{"role", line.direction == "inbound" ? "user" : "assistant"}, {"text", line.body}});
      }
    }
    conversation["messages"] = std::move(history);
  }
  json limits{{"exceeded", w.limits.exceeded}, {"ai", w.limits.ai_exceeded}};
  // The message as stored, unless debounce joined several into it.
  bool joined = w.message.contains("combined");
  std::string input = "{\"tenant\":";
  input += *tenants.view(tenant, w.started_ms);
  input += ",\"message\":";
  input += joined ? dumped(w.message) : w.event.payload;
  input += ",\"conversation\":" + dumped(conversation);
  input += ",\"limits\":" + dumped(limits);
  input += ",\"now_ms\":" + std::to_string(w.started_ms) + "}";
  return input;
}

}  // namespace baraza
