#pragma once

#include <optional>
#include <string>

#include "http/router.h"
#include "storage/database.h"

namespace baraza {

// The /admin/v1 JSON API (docs/admin-api.md). `Authorization: Bearer <token>`: the operator
// token (admin.token) sees every tenant; a tenant's API key sees only its own tenant, and any
// other tenant is a 404 with no data. With no operator token configured, only API keys work.
void addAdminRoutes(Router& router, Database& db, std::optional<std::string> operator_token);

}  // namespace baraza
