// ABI glue only: the descriptor, the config table and the C hooks of the escalation strategy.
#include <cstdio>
#include <cstring>
#include <new>
#include <string>

#include <nlohmann/json.hpp>

#include "baraza/plugin_api.h"
#include "escalation.h"
#include "plugin_json.h"

namespace {

using baraza::escalation::EscalationConfig;

const baraza_config_key kConfigKeys[] = {
    {"keywords", BARAZA_CONFIG_STRING,
     "agent,human,person,representative,operator,manager,customer care,real person,mtu,"
     "mhudumu,binadamu",
     "Comma-separated words and phrases that hand the contact to a person, unless the tenant "
     "sets escalation_keywords."},
    {"reply", BARAZA_CONFIG_STRING, "Thank you. A member of our team will get back to you shortly.",
     "What the contact is told, unless the tenant sets escalation_reply."},
};

baraza_plugin_ptr create(const baraza_host_api*, const char* config, size_t len, char* error,
                         size_t cap) {
  auto values = nlohmann::json::parse(config, config + len, nullptr, false);
  EscalationConfig c = baraza::escalation::defaultConfig();
  if (values.is_object()) {
    if (values.contains("keywords") && values["keywords"].is_string())
      c.keywords = baraza::escalation::keywordList(values["keywords"]);
    if (values.contains("reply") && values["reply"].is_string())
      c.reply = values["reply"];
  }
  if (c.reply.empty() || c.reply.size() > 4096) {
    std::snprintf(error, cap, "reply must be 1-4096 characters");
    return nullptr;
  }
  return new (std::nothrow) EscalationConfig(std::move(c));
}

void destroy(baraza_plugin_ptr self) {
  delete static_cast<EscalationConfig*>(self);
}

int decide(baraza_plugin_ptr self, const char* message, size_t len, char* out, size_t cap) {
  const auto& config = *static_cast<EscalationConfig*>(self);
  return baraza::plugin::runDecide(message, len, out, cap, [&](const auto& input, auto& result) {
    auto decision = baraza::escalation::decide(config, input);
    if (!decision)
      return 1;
    result = std::move(*decision);
    return 0;
  });
}

const baraza_strategy_vtable kVtable = {sizeof(baraza_strategy_vtable), decide,
                                        BARAZA_STRATEGY_READS_STREAK, nullptr};

const baraza_plugin_descriptor kDescriptor = {
    BARAZA_PLUGIN_ABI_MAJOR,
    BARAZA_PLUGIN_ABI_MINOR,
    sizeof(baraza_plugin_descriptor),
    BARAZA_PLUGIN_KIND_STRATEGY,
    "escalation",
    "1.0.0",
    "Hands the contact to a person on request or after unanswered questions",
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
