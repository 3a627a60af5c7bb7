#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/router.h"
#include "scripting/scripting_config.h"
#include "security/sealer.h"
#include "storage/database.h"
#include "tenancy/account_check.h"
#include "tenancy/tenant_directory.h"

namespace baraza {

// The /admin/v1 JSON API (docs/admin-api.md). `Authorization: Bearer <token>`: the operator
// token (admin.token) sees every tenant; a tenant's API key sees only its own tenant, and any
// other tenant is a 404 with no data. With no operator token configured, only API keys work.
// `directory` (may be null) is this process's tenant cache, shown by .../runtime.
// `verify_account` checks a channel account a key registers with its provider; without it only
// the operator registers accounts.
void addAdminRoutes(Router& router, Database& db, const Sealer& sealer,
                    const TenantDirectory* directory, std::optional<std::string> operator_token,
                    const ScriptingConfig* scripting = nullptr,
                    AccountVerifier verify_account = {});

// Every admin route as (method, "/admin/v1/tenants/{tenant}/..."): tests walk them all.
std::vector<std::pair<std::string, std::string>> adminRouteList();

}  // namespace baraza
