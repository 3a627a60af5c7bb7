#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/database.h"

namespace baraza {

// Appends one audit log entry for `tenant_id` inside the caller's transaction: who (`actor`),
// what (`action` on `entity` `entity_id`), the values `before` and `after` the change (null when
// there were none; never a secret: show "sealed" or "********" instead), and when
// (microseconds, so entries of one millisecond keep their order).
void writeAudit(soci::session& sql, const std::string& tenant_id, const std::string& actor,
                const std::string& action, const std::string& entity, const std::string& entity_id,
                const nlohmann::json& after, const nlohmann::json& before = nullptr);

// The same for changes no single tenant owns (organizations): the operator's audit log.
void writeOperatorAudit(soci::session& sql, const std::string& actor, const std::string& action,
                        const std::string& entity, const std::string& entity_id,
                        const nlohmann::json& after, const nlohmann::json& before = nullptr);

}  // namespace baraza
