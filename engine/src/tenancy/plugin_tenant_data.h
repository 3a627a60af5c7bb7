#pragma once

#include "plugin_host/plugin_host.h"
#include "security/sealer.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// What strategy plugins may read of a tenant (ABI 1.4), from the directory's snapshot: its
// active knowledge entries, and its AI providers' keys opened by `sealer`.
TenantData pluginTenantData(const TenantDirectory& directory, const Sealer& sealer);

// The knowledge entries as the plugins get them: [{id, type, question, answer, keywords,
// category, priority}].
std::string knowledgeJson(const TenantConfig& tenant);

}  // namespace baraza
