#include "ai_chain.h"

#include <algorithm>

#include "plugin_json.h"
#include "prompt.h"

namespace baraza::ai {
namespace {

using nlohmann::json;

using plugin::stringField;

// A provider of the tenant's chain: the configured one, with the tenant's model and key.
struct Planned {
  ProviderConfig provider;
  std::string breaker_key;
  bool shared = true;  // on the operator's key
};

// Whether a failed attempt says something about the provider or its key, for the breaker. On
// a shared key a refusal of this one request (400, 404, 422: a prompt too long, a model the
// provider does not know) is the tenant's, not the provider's: it must not switch the provider
// off for every tenant. 401, 403, 429, 5xx and no answer at all are the provider's or the key's.
bool countsOnTheBreaker(int status, bool shared) {
  if (!shared || status == 0 || status == 401 || status == 403 || status == 429)
    return true;
  return status >= 500;
}

}  // namespace

std::vector<ProviderConfig> defaultProviders() {
  return {{"openai", "https://api.openai.com/v1", "gpt-4o-mini", "", 15000},
          {"openrouter", "https://openrouter.ai/api/v1", "openai/gpt-4o-mini", "", 15000},
          {"huggingface", "https://router.huggingface.co/v1", "meta-llama/Llama-3.1-8B-Instruct",
           "", 20000}};
}

AiChain::AiChain(ChainConfig config, Services services)
    : config_(std::move(config)),
      services_(std::move(services)),
      breakers_(config_.breaker_failures, config_.breaker_open_ms, services_.now_ms) {}

AiChain::Attempt AiChain::call(const ProviderConfig& provider, const std::string& key,
                               const json& messages, long timeout_ms) {
  Attempt a;
  json body{{"model", provider.model}, {"messages", messages}, {"max_tokens", config_.max_tokens}};
  HttpAnswer answer =
      http_.post(provider.base_url + "/chat/completions",
                 body.dump(-1, ' ', false, json::error_handler_t::replace), key, timeout_ms);
  a.status = static_cast<int>(answer.status);
  if (answer.status == 0) {
    a.failure = answer.timed_out ? "timeout" : "transport";
    a.retry = true;
    return a;
  }
  if (answer.status == 429 || answer.status >= 500) {
    a.failure = answer.status == 429 ? "rate_limited" : "server_error";
    a.retry = true;
    a.wait_ms = answer.retry_after_ms;
    return a;
  }
  if (answer.status != 200) {
    a.failure = "refused";  // 400, 401, 403, 404: another attempt would fare no better
    return a;
  }
  json parsed = json::parse(answer.body, nullptr, false);
  if (!parsed.is_object()) {
    a.failure = "malformed";
    return a;
  }
  const json& choices = parsed.contains("choices") ? parsed["choices"] : json();
  if (!choices.is_array() || choices.empty() || !choices[0].is_object() ||
      !choices[0].contains("message")) {
    a.failure = "empty";
    return a;
  }
  a.text = stringField(choices[0]["message"], "content");
  if (a.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    a.failure = "empty";
    return a;
  }
  a.model = stringField(parsed, "model");
  if (a.model.empty())
    a.model = provider.model;
  if (parsed.contains("usage") && parsed["usage"].is_object()) {
    const json& u = parsed["usage"];
    if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_integer())
      a.prompt_tokens = u["prompt_tokens"];
    if (u.contains("completion_tokens") && u["completion_tokens"].is_number_integer())
      a.completion_tokens = u["completion_tokens"];
  }
  a.ok = true;
  return a;
}

bool AiChain::wouldWait(const json& input) const {
  const json& tenant = input.contains("tenant") ? input["tenant"] : json::object();
  const json& settings = tenant.contains("settings") ? tenant["settings"] : json::object();
  const json& message = input.contains("message") ? input["message"] : json::object();
  if (!settings.value("ai_responses", true) || stringField(message, "text").empty())
    return false;
  if (input.contains("limits") && (!stringField(input["limits"], "exceeded").empty() ||
                                   !stringField(input["limits"], "ai").empty()))
    return false;
  auto shared_key = [&](const std::string& name) {
    for (const auto& c : config_.providers) {
      if (c.name == name)
        return !c.api_key.empty();
    }
    return false;
  };
  const json& own = tenant.contains("ai_providers") ? tenant["ai_providers"] : json::array();
  if (own.is_array() && !own.empty()) {
    for (const auto& p : own) {
      std::string name = stringField(p, "name");
      bool configured = std::any_of(config_.providers.begin(), config_.providers.end(),
                                    [&](const ProviderConfig& c) { return c.name == name; });
      if (configured && (p.value("has_key", false) || shared_key(name)))
        return true;
    }
    return false;
  }
  return std::any_of(config_.providers.begin(), config_.providers.end(),
                     [](const ProviderConfig& c) { return !c.api_key.empty(); });
}

int AiChain::decide(const json& input, json& out) {
  const json& tenant = input.contains("tenant") ? input["tenant"] : json::object();
  const json& settings = tenant.contains("settings") ? tenant["settings"] : json::object();
  const json& message = input.contains("message") ? input["message"] : json::object();
  std::string tenant_id = stringField(tenant, "id"), slug = stringField(tenant, "slug");
  if (!settings.value("ai_responses", true) || stringField(message, "text").empty())
    return 1;
  if (input.contains("limits") && (!stringField(input["limits"], "exceeded").empty() ||
                                   !stringField(input["limits"], "ai").empty())) {
    services_.count("baraza_ai_skipped_total", "reason=quota");
    return 1;  // no AI call past a limit or an AI quota
  }

  // The tenant's order, models and keys; else the configured providers and shared keys.
  std::vector<Planned> plan;
  const json& own = tenant.contains("ai_providers") ? tenant["ai_providers"] : json::array();
  if (own.is_array() && !own.empty()) {
    for (const auto& p : own) {
      std::string name = stringField(p, "name");
      auto found = std::find_if(config_.providers.begin(), config_.providers.end(),
                                [&](const ProviderConfig& c) { return c.name == name; });
      if (found == config_.providers.end()) {
        services_.log(2, "tenant " + slug + ": AI provider " + name + " is not configured");
        continue;
      }
      Planned planned{*found, name + "/shared"};
      if (p.value("has_key", false)) {
        try {
          std::string key = services_.tenant_key(tenant_id, name);
          if (!key.empty()) {
            planned.provider.api_key = key;
            planned.breaker_key = name + "/" + tenant_id;
            planned.shared = false;
          }
        } catch (const std::exception&) {
          services_.log(3, "tenant " + slug + ": the " + name + " key does not open; skipped");
          continue;
        }
      }
      std::string model = stringField(p, "model");
      if (!model.empty() && model != planned.provider.model) {
        if (!planned.shared || config_.tenant_models_on_shared_keys) {
          planned.provider.model = model;
        } else {
          services_.count("baraza_ai_tenant_model_ignored_total", "provider=" + name);
        }
      }
      plan.push_back(std::move(planned));
    }
  } else {
    for (const auto& c : config_.providers)
      plan.push_back({c, c.name + "/shared"});
  }
  plan.erase(std::remove_if(plan.begin(), plan.end(),
                            [](const Planned& p) { return p.provider.api_key.empty(); }),
             plan.end());
  if (plan.empty()) {
    services_.count("baraza_ai_skipped_total", "reason=no_provider");
    return 1;  // no AI set up for this tenant: not a failure
  }

  json messages = promptMessages(input, config_.history);
  long long started = services_.now_ms(), deadline = started + config_.budget_ms;
  std::string failures;
  for (const auto& [provider, breaker_key, shared] : plan) {
    if (services_.now_ms() >= deadline) {
      failures += (failures.empty() ? "" : ", ") + provider.name + ": no time left";
      continue;
    }
    if (!breakers_.allow(breaker_key)) {
      services_.count("baraza_ai_requests_total",
                      "provider=" + provider.name + ",result=breaker_open");
      failures += (failures.empty() ? "" : ", ") + provider.name + ": breaker open";
      continue;
    }
    for (int attempt = 1; attempt <= config_.max_attempts; ++attempt) {
      long long now = services_.now_ms();
      long timeout = static_cast<long>(std::min<long long>(provider.timeout_ms, deadline - now));
      if (timeout <= 0) {
        breakers_.release(breaker_key);  // a half-open trial that was never made
        break;
      }
      Attempt a;
      try {
        a = call(provider, provider.api_key, messages, timeout);
      } catch (const std::exception&) {
        a.failure = "transport";
      }
      long long took = services_.now_ms() - now;
      services_.count("baraza_ai_requests_total",
                      "provider=" + provider.name + ",result=" + (a.ok ? "ok" : a.failure));
      if (a.ok) {
        breakers_.succeeded(breaker_key);
        long long max_len = 0;
        if (tenant.contains("template") && tenant["template"].is_object())
          max_len = tenant["template"].value("max_response_length", 0LL);
        size_t limit = max_len > 0
                           ? std::min<size_t>(static_cast<size_t>(max_len), kWhatsAppTextLimit)
                           : kWhatsAppTextLimit;
        json ai{{"provider", provider.name}, {"model", a.model}, {"latency_ms", took}};
        if (a.prompt_tokens >= 0)
          ai["prompt_tokens"] = a.prompt_tokens;
        if (a.completion_tokens >= 0)
          ai["completion_tokens"] = a.completion_tokens;
        long long tokens = std::max(0LL, a.prompt_tokens) + std::max(0LL, a.completion_tokens);
        if (provider.usd_per_1k_tokens > 0 && tokens > 0)
          ai["cost_usd"] = static_cast<double>(tokens) / 1000.0 * provider.usd_per_1k_tokens;
        out = {{"reply", {{"kind", "text"}, {"text", trimAnswer(a.text, limit)}}}, {"ai", ai}};
        return 0;
      }
      services_.log(2, "tenant " + slug + ": " + provider.name + " attempt " +
                           std::to_string(attempt) + " failed: " + a.failure);
      if (!countsOnTheBreaker(a.status, shared)) {
        breakers_.release(breaker_key);  // a half-open trial that told nothing
      } else if (breakers_.failed(breaker_key)) {
        services_.count("baraza_ai_breaker_opened_total", "provider=" + provider.name);
        services_.log(2, "AI provider " + provider.name + " breaker opened");
      }
      if (!a.retry || attempt == config_.max_attempts)
        break;
      long long wait = a.wait_ms >= 0 ? a.wait_ms : config_.retry_base_ms << (attempt - 1);
      if (services_.now_ms() + wait >= deadline)
        break;  // no time left to wait for it: the next provider
      services_.sleep_ms(wait);
      if (!breakers_.allow(breaker_key))
        break;
    }
    failures += (failures.empty() ? "" : ", ") + provider.name + ": failed";
  }

  // Every provider failed: the tenant's fallback text, and a person.
  services_.count("baraza_ai_chain_failures_total", "");
  services_.log(2, "tenant " + slug + ": every AI provider failed (" + failures + ")");
  json escalate{
      {"reason", "every AI provider failed"}, {"priority", "high"}, {"source", "ai_failure"}};
  std::string fallback = stringField(settings, "ai_fallback_reply");
  if (fallback.empty())
    fallback = stringField(settings, "static_reply");
  if (fallback.empty()) {
    out = {{"escalate", escalate}};
    return 1;
  }
  out = {{"reply", {{"kind", "text"}, {"text", fallback}}},
         {"fallback", true},
         {"escalate", escalate}};
  return 0;
}

}  // namespace baraza::ai
