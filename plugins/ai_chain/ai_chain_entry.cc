// ABI glue only: the descriptor, the config table and the C hooks of the ai_chain strategy.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include "ai_chain.h"
#include "baraza/plugin_api.h"
#include "plugin_json.h"

namespace {

using baraza::ai::AiChain;
using nlohmann::json;

const baraza_config_key kConfigKeys[] = {
    {"providers", BARAZA_CONFIG_OBJECT_LIST, nullptr,
     "The AI providers in the default order; absent: openai, openrouter and huggingface with "
     "their public URLs and no shared key (a provider without any key is skipped)."},
    {"providers[].name", BARAZA_CONFIG_STRING, nullptr,
     "The provider's name, which tenants' ai_providers refer to."},
    {"providers[].base_url", BARAZA_CONFIG_STRING, nullptr,
     "The chat-completions API root (…/v1); POSTs go to base_url/chat/completions."},
    {"providers[].model", BARAZA_CONFIG_STRING, nullptr, "The model unless a tenant names one."},
    {"providers[].api_key", BARAZA_CONFIG_SECRET, nullptr,
     "The shared key, for tenants without their own; absent: only tenants' own keys."},
    {"providers[].timeout_ms", BARAZA_CONFIG_INT, "15000", "One request's time limit."},
    {"providers[].usd_per_1k_micros", BARAZA_CONFIG_INT, "0",
     "Price per 1,000 tokens in millionths of a dollar (150 = $0.00015), for the usage's "
     "estimated cost; 0: not estimated."},
    {"max_attempts", BARAZA_CONFIG_INT, "2",
     "Attempts per provider on 429, 5xx and timeouts before the next provider."},
    {"retry_base_ms", BARAZA_CONFIG_INT, "250",
     "Wait before a retry, doubled per attempt; a Retry-After header wins."},
    {"budget_ms", BARAZA_CONFIG_INT, "30000",
     "The whole chain's time limit, retries and waits included."},
    {"breaker_failures", BARAZA_CONFIG_INT, "5",
     "Failures in a row that open a provider's circuit breaker."},
    {"breaker_open_seconds", BARAZA_CONFIG_INT, "30",
     "How long an open breaker refuses calls before one trial call."},
    {"history", BARAZA_CONFIG_INT, "10", "Past messages of the conversation in the prompt."},
    {"max_tokens", BARAZA_CONFIG_INT, "400", "The completion's token limit."},
    {"tenant_models_on_shared_keys", BARAZA_CONFIG_BOOL, "false",
     "Whether a tenant's own model applies on the operator's shared key (false: only with the "
     "tenant's own key; the shared key always runs the configured model, as it is priced)."},
};

struct Instance {
  const baraza_host_api* host;
  std::unique_ptr<AiChain> chain;
};

long long nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

baraza_plugin_ptr create(const baraza_host_api* host, const char* config, size_t len, char* error,
                         size_t cap) {
  if (!host || host->struct_size < offsetof(baraza_host_api, tenant_secret) + sizeof(void*) ||
      !host->tenant_secret) {
    std::snprintf(error, cap, "the ai_chain strategy needs a host of ABI 1.4 or later");
    return nullptr;
  }
  json values = json::parse(config, config + len, nullptr, false);
  if (!values.is_object())
    values = json::object();
  baraza::ai::ChainConfig c;
  if (values.contains("providers") && values["providers"].is_array()) {
    for (const auto& p : values["providers"]) {
      baraza::ai::ProviderConfig provider{
          p.value("name", ""),
          p.value("base_url", ""),
          p.value("model", ""),
          p.value("api_key", ""),
          static_cast<long>(p.value("timeout_ms", 15000LL)),
          static_cast<double>(p.value("usd_per_1k_micros", 0LL)) / 1e6};
      if (provider.name.empty() || provider.base_url.empty() || provider.model.empty()) {
        std::snprintf(error, cap, "providers[%zu] needs name, base_url and model",
                      c.providers.size());
        return nullptr;
      }
      if (provider.timeout_ms < 100 || provider.timeout_ms > 600000) {
        std::snprintf(error, cap, "providers[%zu].timeout_ms must be 100-600000",
                      c.providers.size());
        return nullptr;
      }
      while (!provider.base_url.empty() && provider.base_url.back() == '/')
        provider.base_url.pop_back();
      c.providers.push_back(provider);
    }
  } else {
    c.providers = baraza::ai::defaultProviders();
  }
  c.max_attempts = static_cast<int>(std::clamp(values.value("max_attempts", 2LL), 1LL, 10LL));
  c.retry_base_ms = std::clamp(values.value("retry_base_ms", 250LL), 0LL, 60000LL);
  c.budget_ms = std::clamp(values.value("budget_ms", 30000LL), 100LL, 300000LL);
  c.breaker_failures =
      static_cast<int>(std::clamp(values.value("breaker_failures", 5LL), 1LL, 1000LL));
  c.breaker_open_ms = std::clamp(values.value("breaker_open_seconds", 30LL), 1LL, 86400LL) * 1000;
  c.history = static_cast<size_t>(std::clamp(values.value("history", 10LL), 0LL, 50LL));
  c.max_tokens = std::clamp(values.value("max_tokens", 400LL), 1LL, 100000LL);
  c.tenant_models_on_shared_keys = values.value("tenant_models_on_shared_keys", false);

  baraza::ai::Services services;
  services.tenant_key = [host](const std::string& tenant_id, const std::string& provider) {
    std::string key, name = "ai_providers." + provider + ".api_key";
    int rc = host->tenant_secret(host->host_host_ptr, tenant_id.c_str(), name.c_str(), &key,
                                 baraza::plugin::appendTo);
    if (rc == 2)
      throw std::runtime_error("the key does not open");
    return rc == 0 ? key : std::string();
  };
  services.log = [host](int level, const std::string& line) {
    host->log(host->host_host_ptr, static_cast<baraza_log_level>(level), line.data(), line.size());
  };
  services.count = [host](const std::string& name, const std::string& labels) {
    host->counter_add(host->host_host_ptr, name.c_str(), labels.empty() ? nullptr : labels.c_str(),
                      1);
  };
  services.now_ms = nowMs;
  services.sleep_ms = [](long long ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  };
  curl_global_init(CURL_GLOBAL_DEFAULT);  // idempotent; the WhatsApp channel does it too
  auto* instance = new (std::nothrow) Instance{host, nullptr};
  if (!instance)
    return nullptr;
  instance->chain = std::make_unique<AiChain>(std::move(c), std::move(services));
  return instance;
}

void destroy(baraza_plugin_ptr self) {
  delete static_cast<Instance*>(self);
}

int decide(baraza_plugin_ptr self, const char* message, size_t len, char* out, size_t cap) {
  auto& chain = *static_cast<Instance*>(self)->chain;
  return baraza::plugin::runDecide(message, len, out, cap, [&](const auto& input, auto& result) {
    return chain.decide(input, result);
  });
}

int willWait(baraza_plugin_ptr self, const char* message, size_t len) {
  try {
    auto input = nlohmann::json::parse(message, message + len, nullptr, false);
    return static_cast<Instance*>(self)->chain->wouldWait(input) ? 1 : 0;
  } catch (const std::exception&) {
    return 1;  // unsure: the host keeps nothing locked while it waits
  }
}

const baraza_strategy_vtable kVtable = {sizeof(baraza_strategy_vtable), decide,
                                        BARAZA_STRATEGY_WAITS | BARAZA_STRATEGY_READS_HISTORY,
                                        willWait};

const baraza_plugin_descriptor kDescriptor = {
    BARAZA_PLUGIN_ABI_MAJOR,
    BARAZA_PLUGIN_ABI_MINOR,
    sizeof(baraza_plugin_descriptor),
    BARAZA_PLUGIN_KIND_STRATEGY,
    "ai_chain",
    "1.0.0",
    "Answers with an AI model, trying the tenant's providers in order (OpenAI, OpenRouter, "
    "HuggingFace by default)",
    kConfigKeys,
    sizeof(kConfigKeys) / sizeof(kConfigKeys[0]),
    create,
    destroy,
    &kVtable,
};

}  // namespace

extern "C" BARAZA_PLUGIN_EXPORT const baraza_plugin_descriptor* baraza_plugin_entry(void) {
  return &kDescriptor;
}
