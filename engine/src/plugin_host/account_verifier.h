#pragma once

#include "plugin_host/plugin_host.h"
#include "tenancy/account_check.h"

namespace baraza {

// An AccountVerifier that asks the channel's plugin (its verify_account hook). Each check is
// logged and counted in baraza_channel_verifications_total{type,result}.
AccountVerifier accountVerifier(const PluginHost& plugins);

}  // namespace baraza
