#include "pipeline/strategy_chain.h"

#include <cstring>

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {
namespace {

using nlohmann::json;

std::string text(const json& obj, const char* name, size_t max) {
  if (!obj.is_object() || !obj.contains(name) || !obj[name].is_string())
    return "";
  return obj[name].get<std::string>().substr(0, max);
}

}  // namespace

std::vector<std::string> strategyNames(const std::string& chain) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= chain.size()) {
    size_t comma = chain.find(',', start);
    std::string name = chain.substr(start, comma == std::string::npos ? comma : comma - start);
    start = comma == std::string::npos ? chain.size() + 1 : comma + 1;
    while (!name.empty() && name.front() == ' ')
      name.erase(0, 1);
    while (!name.empty() && name.back() == ' ')
      name.pop_back();
    if (!name.empty())
      names.push_back(name);
  }
  return names;
}

std::optional<EscalationAsk> escalationFromJson(const std::string& strategy, const json& out) {
  if (!out.is_object() || !out.contains("escalate") || !out["escalate"].is_object())
    return std::nullopt;
  const json& e = out["escalate"];
  EscalationAsk ask;
  ask.reason = text(e, "reason", 500);
  if (ask.reason.empty())
    ask.reason = "asked by " + strategy;
  std::string priority = text(e, "priority", 10);
  if (priority == "low" || priority == "high" || priority == "urgent")
    ask.priority = priority;
  ask.source = text(e, "source", 40);
  if (ask.source.empty())
    ask.source = strategy;
  return ask;
}

std::optional<Decision> decisionFromJson(const std::string& strategy, const json& out) {
  if (!out.is_object() || !out.contains("reply") || !out["reply"].is_object())
    return std::nullopt;
  Decision d;
  d.strategy = strategy;
  d.reply = out["reply"];
  d.knowledge_entry_id = text(out, "knowledge_entry_id", 64);
  if (out.contains("score") && out["score"].is_number())
    d.score = out["score"].get<double>();
  if (out.contains("ai") && out["ai"].is_object()) {
    const json& ai = out["ai"];
    d.ai_model = text(ai, "model", 200);
    d.ai = json::object();
    d.ai["provider"] = text(ai, "provider", 64);
    d.ai["model"] = d.ai_model;
    for (const char* n : {"latency_ms", "prompt_tokens", "completion_tokens"}) {
      if (ai.contains(n) && ai[n].is_number_integer())
        d.ai[n] = ai[n];
    }
    if (ai.contains("cost_usd") && ai["cost_usd"].is_number())
      d.ai["cost_usd"] = ai["cost_usd"];
  }
  d.fallback =
      out.contains("fallback") && out["fallback"].is_boolean() && out["fallback"].get<bool>();
  d.escalate = escalationFromJson(strategy, out);
  return d;
}

StrategyChain::StrategyChain(const PluginHost& plugins, const std::string& chain, std::string input,
                             StrategyStep before)
    : plugins_(plugins),
      names_(strategyNames(chain)),
      base_(std::move(input)),
      before_(std::move(before)) {
  while (!base_.empty() && base_.back() != '}')
    base_.pop_back();
  if (!base_.empty())
    base_.pop_back();
}

const std::string& StrategyChain::inputText() {
  if (text_.empty()) {
    text_ = base_;
    if (hints_.is_object()) {
      text_ += base_.size() > 1 ? ",\"hints\":" : "\"hints\":";
      text_ += hints_.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    text_ += '}';
  }
  return text_;
}

bool StrategyChain::wouldWait(const LoadedPlugin& plugin) {
  if (!(PluginHost::strategyFlags(plugin) & BARAZA_STRATEGY_WAITS))
    return false;
  auto will_wait = PluginHost::strategyWillWaitHook(plugin);
  if (!will_wait)
    return true;
  const std::string& text = inputText();
  return will_wait(plugin.instance, text.data(), text.size()) != 0;
}

bool StrategyChain::run(bool may_wait) {
  while (!done_ && next_ < names_.size()) {
    const LoadedPlugin* plugin = plugins_.find(names_[next_]);
    if (!may_wait && plugin && plugin->strategy && plugin->instance && wouldWait(*plugin))
      return true;  // the caller commits first and comes back for runNext()
    done_ = step();
  }
  done_ = true;
  return false;
}

void StrategyChain::runNext() {
  if (!done_ && next_ < names_.size())
    done_ = step();
}

bool StrategyChain::step() {
  auto& metrics = MetricsRegistry::global();
  const std::string& name = names_[next_++];
  if (before_) {
    if (auto decision = before_(name)) {
      result_.decision = std::move(decision);
      return true;
    }
  }
  const LoadedPlugin* plugin = plugins_.find(name);
  if (!plugin || !plugin->strategy || !plugin->instance) {
    metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "absent"}});
    return false;
  }
  const std::string& text = inputText();
  std::string out(64 * 1024, '\0');
  int rc =
      plugin->strategy->decide(plugin->instance, text.data(), text.size(), out.data(), out.size());
  out.resize(strnlen(out.data(), out.size()));
  if (rc == 1) {
    metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "passed"}});
    json hint = out.empty() ? json() : json::parse(out, nullptr, false);
    if (hint.is_object()) {
      if (auto ask = escalationFromJson(name, hint); ask && !result_.escalate)
        result_.escalate = ask;
      hints_[name] = std::move(hint);
      text_.clear();  // the next strategy sees the hint
    }
    return false;
  }
  json parsed = json::parse(out, nullptr, false);
  auto decision = rc == 0 ? decisionFromJson(name, parsed) : std::nullopt;
  if (!decision) {
    metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "failed"}});
    spdlog::warn("strategy {} failed (code {}): {}", name, rc, out.substr(0, 200));
    return false;
  }
  metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "answered"}});
  result_.decision = std::move(decision);
  return true;
}

ChainResult runStrategies(const PluginHost& plugins, const std::string& chain, json input,
                          StrategyStep before) {
  StrategyChain run(plugins, chain, input.dump(-1, ' ', false, json::error_handler_t::replace),
                    std::move(before));
  run.run(true);
  return std::move(run.result());
}

}  // namespace baraza
