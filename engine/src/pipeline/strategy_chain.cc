#include "pipeline/strategy_chain.h"

#include <spdlog/spdlog.h>

#include "core/metrics.h"

namespace baraza {

std::optional<Decision> runStrategies(const PluginHost& plugins, const std::string& chain,
                                      const nlohmann::json& input, const StrategyStep& before) {
  std::string text = input.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto& metrics = MetricsRegistry::global();
  size_t start = 0;
  while (start <= chain.size()) {
    size_t comma = chain.find(',', start);
    std::string name = chain.substr(start, comma == std::string::npos ? comma : comma - start);
    start = comma == std::string::npos ? chain.size() + 1 : comma + 1;
    while (!name.empty() && name.front() == ' ')
      name.erase(0, 1);
    while (!name.empty() && name.back() == ' ')
      name.pop_back();
    if (name.empty())
      continue;
    if (before) {
      if (auto decision = before(name))
        return decision;
    }
    const LoadedPlugin* plugin = plugins.find(name);
    if (!plugin || !plugin->strategy || !plugin->instance) {
      metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "absent"}});
      continue;
    }
    std::string out(64 * 1024, '\0');
    int rc = plugin->strategy->decide(plugin->instance, text.data(), text.size(), out.data(),
                                      out.size());
    out.resize(strnlen(out.data(), out.size()));
    if (rc == 1) {
      metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "passed"}});
      continue;
    }
    nlohmann::json decision = nlohmann::json::parse(out, nullptr, false);
    if (rc != 0 || !decision.is_object() || !decision.contains("reply") ||
        !decision["reply"].is_object()) {
      metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "failed"}});
      spdlog::warn("strategy {} failed (code {}): {}", name, rc, out.substr(0, 200));
      continue;
    }
    metrics.counterAdd("baraza_strategy_runs_total", {{"strategy", name}, {"result", "answered"}});
    return Decision{name, decision["reply"], decision.value("knowledge_entry_id", ""),
                    decision.value("ai_model", "")};
  }
  return std::nullopt;
}

}  // namespace baraza
