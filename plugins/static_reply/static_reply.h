#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "plugin_input.h"

namespace baraza::static_reply {

// The tenant's fixed auto-reply: settings.static_reply, or settings.after_hours_reply when the
// engine says the business is closed (tenant.open_now false) and one is set. Passes (nullopt)
// when the tenant has no reply text.
std::optional<nlohmann::json> decide(const plugin::Input& input);

}  // namespace baraza::static_reply
