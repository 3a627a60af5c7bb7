// ABI glue only: the descriptor, the config table and the C hooks of the faq strategy.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "baraza/plugin_api.h"
#include "faq_strategy.h"
#include "plugin_input.h"

namespace {

using baraza::faq::FaqStrategy;

const baraza_config_key kConfigKeys[] = {
    {"threshold", BARAZA_CONFIG_INT, "50",
     "Lowest match score (percent) that answers, unless the tenant sets faq_threshold "
     "(docs/answers.md tunes it)."},
    {"hints", BARAZA_CONFIG_INT, "3",
     "How many near misses (score 20 or more) are handed to later strategies as grounding."},
};

struct Instance {
  FaqStrategy strategy;
};

baraza_plugin_ptr create(const baraza_host_api* host, const char* config, size_t len, char* error,
                         size_t cap) {
  if (!host || host->struct_size < offsetof(baraza_host_api, tenant_knowledge) + sizeof(void*) ||
      !host->tenant_knowledge) {
    std::snprintf(error, cap, "the faq strategy needs a host of ABI 1.4 or later");
    return nullptr;
  }
  auto values = nlohmann::json::parse(config, config + len, nullptr, false);
  baraza::faq::FaqConfig settings;
  if (values.is_object()) {
    long long threshold = values.value("threshold", 50LL);
    if (threshold < 1 || threshold > 100) {
      std::snprintf(error, cap, "threshold must be 1-100 (percent)");
      return nullptr;
    }
    settings.threshold = static_cast<double>(threshold) / 100.0;
    settings.hints = static_cast<int>(std::clamp(values.value("hints", 3LL), 0LL, 10LL));
  }
  auto source = [host](const std::string& tenant_id) -> std::optional<std::string> {
    std::string text;
    if (host->tenant_knowledge(host->host_host_ptr, tenant_id.c_str(), &text,
                               baraza::plugin::appendTo) != 0)
      return std::nullopt;
    return text;
  };
  return new (std::nothrow) Instance{FaqStrategy(settings, source)};
}

void destroy(baraza_plugin_ptr self) {
  delete static_cast<Instance*>(self);
}

int decide(baraza_plugin_ptr self, const char* message, size_t len, char* out, size_t cap) {
  auto& strategy = static_cast<Instance*>(self)->strategy;
  return baraza::plugin::runDecideOnInput(
      message, len, out, cap, [&](const auto& input, auto& result) {
        auto decision =
            strategy.decide(baraza::faq::questionFrom(input), result);  // hint on a pass
        if (!decision)
          return 1;
        result = std::move(*decision);
        return 0;
      });
}

const baraza_strategy_vtable kVtable = {sizeof(baraza_strategy_vtable), decide, 0, nullptr};

const baraza_plugin_descriptor kDescriptor = {
    BARAZA_PLUGIN_ABI_MAJOR,
    BARAZA_PLUGIN_ABI_MINOR,
    sizeof(baraza_plugin_descriptor),
    BARAZA_PLUGIN_KIND_STRATEGY,
    "faq",
    "1.0.0",
    "Answers from the tenant's FAQ and canned replies when a question matches well enough",
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
