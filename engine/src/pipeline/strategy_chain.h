#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin_host/plugin_host.h"

namespace baraza {

// A hand-over to a person that a strategy asked for (docs/answers.md).
struct EscalationAsk {
  std::string reason;
  std::string priority = "medium";  // low, medium, high, urgent
  std::string source;               // keyword, unanswered, ai_failure, limit, script, ...
};

// What a strategy decided: the reply to send (a channel send request without account and
// recipient) and what produced it.
struct Decision {
  std::string strategy;
  nlohmann::json reply;              // {"kind": "text", "text": ...} or another send kind
  std::string knowledge_entry_id{};  // when an FAQ entry answered
  std::optional<double> score{};     // the FAQ match's score, 0-1
  std::string ai_model{};            // when a model answered
  nlohmann::json ai{};               // {provider, model, latency_ms, prompt_tokens, ...} or null
  bool fallback = false;             // the tenant's fallback text, not an answer
  std::optional<EscalationAsk> escalate{};
};

// Reads a strategy's JSON decision; nullopt when it has no usable reply.
std::optional<Decision> decisionFromJson(const std::string& strategy, const nlohmann::json& out);
// A decision's or a pass's "escalate" member, when it has a usable one.
std::optional<EscalationAsk> escalationFromJson(const std::string& strategy,
                                                const nlohmann::json& out);

// The strategy names of a chain ("escalation, faq,ai_chain"), trimmed, empty ones dropped.
std::vector<std::string> strategyNames(const std::string& chain);

// Called at each step with the strategy's name; may answer in its place (the tenant script's
// faq hook answers at the "faq" step).
using StrategyStep = std::function<std::optional<Decision>(const std::string& name)>;

struct ChainHooks {
  StrategyStep before;
  // Around a strategy flagged BARAZA_STRATEGY_WAITS: `suspend` commits what the message has
  // written so far, `resume` opens the transaction the rest is written in.
  std::function<void()> suspend;
  std::function<void()> resume;
};

struct ChainResult {
  std::optional<Decision> decision;
  std::optional<EscalationAsk> escalate;  // asked by a strategy that passed
};

// Runs the tenant's strategies in order (names of loaded strategy plugins, comma-separated as
// in settings.strategies) until one answers. A strategy that is not loaded is skipped; one that
// fails is logged and counted, and the next one runs. What a passing strategy writes reaches
// the later ones as input.hints.<name>.
ChainResult runStrategies(const PluginHost& plugins, const std::string& chain, nlohmann::json input,
                          const ChainHooks& hooks = {});

}  // namespace baraza
