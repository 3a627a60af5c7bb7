// ABI glue only: the descriptor and the C hook of the static_reply strategy.
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>

#include <nlohmann/json.hpp>

#include "baraza/plugin_api.h"
#include "static_reply.h"

namespace {

struct Instance {};

baraza_plugin_ptr create(const baraza_host_api*, const char*, size_t, char*, size_t) {
  return new (std::nothrow) Instance();
}

void destroy(baraza_plugin_ptr self) {
  delete static_cast<Instance*>(self);
}

int decide(baraza_plugin_ptr, const char* message, size_t len, char* out, size_t cap) {
  return baraza::plugin::runDecideOnInput(message, len, out, cap,
                                          [](const auto& input, auto& result) {
                                            auto decision = baraza::static_reply::decide(input);
                                            if (!decision)
                                              return 1;  // nothing to say: the next strategy may
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
    "static_reply",
    "1.0.0",
    "The tenant's fixed auto-reply, with an after-hours variant",
    nullptr,
    0,
    create,
    destroy,
    &kVtable,
};

}  // namespace

extern "C" BARAZA_PLUGIN_EXPORT const baraza_plugin_descriptor* baraza_plugin_entry(void) {
  return &kDescriptor;
}
