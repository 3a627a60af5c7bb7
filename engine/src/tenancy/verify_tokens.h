#pragma once

#include <string>
#include <string_view>

#include "security/sealer.h"
#include "storage/database.h"

namespace baraza {

// Whether `token` opens as the verify token of an active `channel` account of an active tenant.
// Reads the database each time: handshakes are rare, and a token changed by an import or the
// admin API counts at once, on every engine process. Compared in constant time.
bool isTenantVerifyToken(Database& db, const Sealer& sealer, const std::string& channel,
                         std::string_view token);

}  // namespace baraza
