#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin_host/plugin_host.h"

namespace baraza {

// What a strategy decided: the reply to send (a channel send request without account and
// recipient) and what produced it.
struct Decision {
  std::string strategy;
  nlohmann::json reply;            // {"kind": "text", "text": ...} or another send kind
  std::string knowledge_entry_id;  // when an FAQ entry answered
  std::string ai_model;            // when a model answered
};

// Runs the tenant's strategies in order (names of loaded strategy plugins, comma-separated as
// in settings.strategies) until one answers. A strategy that is not loaded is skipped; one that
// fails is logged and counted, and the next one runs.
// `before`, when given, is asked first at each step with the strategy's name (the tenant
// script's faq hook answers there) and may answer in its place.
using StrategyStep = std::function<std::optional<Decision>(const std::string& name)>;
std::optional<Decision> runStrategies(const PluginHost& plugins, const std::string& chain,
                                      const nlohmann::json& input,
                                      const StrategyStep& before = nullptr);

}  // namespace baraza
