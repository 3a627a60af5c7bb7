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

struct ChainResult {
  std::optional<Decision> decision;
  std::optional<EscalationAsk> escalate;  // asked by a strategy that passed
};

// A tenant's strategies (names of loaded strategy plugins, comma-separated as in
// settings.strategies) run in order until one answers. A strategy that is not loaded is
// skipped; one that fails is logged and counted, and the next one runs. What a passing strategy
// writes reaches the later ones as input.hints.<name>. A run can stop before a strategy that
// would wait on the network (BARAZA_STRATEGY_WAITS, unless its will_wait hook says not this
// time) and go on later, outside the message's transaction.
class StrategyChain {
 public:
  // `input` is the strategies' input as JSON text (an object), built once per message.
  StrategyChain(const PluginHost& plugins, const std::string& chain, std::string input,
                StrategyStep before = {});

  // Runs until a strategy answers or the chain ends; with `may_wait` false, stops instead
  // before a strategy that would wait and returns true (run(true) then goes on from there).
  bool run(bool may_wait);
  // Runs only the next strategy, the one run(false) stopped before (it waits on the network).
  void runNext();
  ChainResult& result() { return result_; }

 private:
  bool wouldWait(const LoadedPlugin& plugin);
  // Runs the strategy at next_; true when the chain is over (it answered).
  bool step();
  const std::string& inputText();

  const PluginHost& plugins_;
  std::vector<std::string> names_;
  size_t next_ = 0;
  std::string base_;      // the input without its closing brace
  nlohmann::json hints_;  // what passing strategies left for the next ones
  std::string text_;      // base_ + hints_ + "}", "" when hints_ changed since
  StrategyStep before_;
  ChainResult result_;
  bool done_ = false;
};

// Runs a whole chain (StrategyChain::run(true)).
ChainResult runStrategies(const PluginHost& plugins, const std::string& chain, nlohmann::json input,
                          StrategyStep before = {});

}  // namespace baraza
