#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "circuit_breaker.h"
#include "http_post.h"

namespace baraza::ai {

// One configured provider (strategies.ai_chain.providers[]): every one speaks the
// chat-completions API at base_url + "/chat/completions" (OpenAI, OpenRouter, and
// HuggingFace's router at https://router.huggingface.co/v1).
struct ProviderConfig {
  std::string name, base_url, model, api_key;  // api_key: the shared key, may be empty
  long timeout_ms = 15000;
  double usd_per_1k_tokens = 0;  // for the usage's estimated cost; 0: not estimated
};

struct ChainConfig {
  std::vector<ProviderConfig> providers;  // the default order
  int max_attempts = 2;                   // per provider, on 429, 5xx, timeouts
  long long retry_base_ms = 250;          // doubled per attempt; Retry-After wins when given
  long long budget_ms = 30000;            // the whole chain, retries and waits included
  int breaker_failures = 5;
  long long breaker_open_ms = 30000;
  size_t history = 10;  // past messages in the prompt
  long long max_tokens = 400;
  // Whether a tenant's `model` applies on the operator's shared key too. Off by default: a
  // tenant would otherwise run any model (a costly one, priced as the configured one, or an
  // unknown one whose refusals opened the shared key's breaker for everyone) on the operator's
  // account. A tenant's own key always takes its model.
  bool tenant_models_on_shared_keys = false;
};

// The built-in providers, in the default order: OpenAI, OpenRouter, HuggingFace.
std::vector<ProviderConfig> defaultProviders();

struct Services {
  // The tenant's own key for a provider ("" when it has none); throws when it does not open.
  std::function<std::string(const std::string& tenant_id, const std::string& provider)> tenant_key;
  std::function<void(int level, const std::string& line)> log;  // 0 debug .. 3 error
  std::function<void(const std::string& name, const std::string& labels)> count;
  std::function<long long()> now_ms;
  std::function<void(long long ms)> sleep_ms;
};

// The ai_chain strategy (docs/answers.md, "The ai_chain strategy").
class AiChain {
 public:
  AiChain(ChainConfig config, Services services);

  // 0 answered (`out` is the decision), 1 passed (`out` may hold an escalation hint).
  int decide(const nlohmann::json& input, nlohmann::json& out);
  // Whether decide() would call a provider for this input (the will_wait hook): false when AI
  // is off for the tenant, the message has no text, a limit or AI quota is reached, or no
  // provider of the tenant's chain has a key.
  bool wouldWait(const nlohmann::json& input) const;

  CircuitBreakers& breakers() { return breakers_; }

 private:
  struct Attempt {
    bool ok = false;
    bool retry = false;      // worth another attempt at this provider
    long long wait_ms = -1;  // from Retry-After; -1: the backoff decides
    std::string text, model, failure;
    int status = 0;  // the provider's HTTP status (0: no answer)
    long long prompt_tokens = -1, completion_tokens = -1;
  };
  Attempt call(const ProviderConfig& provider, const std::string& key,
               const nlohmann::json& messages, long timeout_ms);

  ChainConfig config_;
  Services services_;
  CircuitBreakers breakers_;
  HttpPoster http_;
};

}  // namespace baraza::ai
