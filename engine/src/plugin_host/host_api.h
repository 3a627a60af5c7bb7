#pragma once

#include <memory>

#include "baraza/plugin_api.h"

namespace baraza {

// The callback table handed to one plugin; `host` identifies the plugin in log lines.
std::unique_ptr<baraza_host_api> makeHostApi(baraza_host* host);

}  // namespace baraza
