#include "tenancy/audit.h"

#include "core/iso_time.h"
#include "core/uuid.h"

namespace baraza {

void writeAudit(soci::session& sql, const std::string& tenant_id, const std::string& actor,
                const std::string& action, const std::string& entity, const std::string& entity_id,
                const nlohmann::json& after) {
  std::string id = newUuid(), at = isoNowMicros();
  std::string after_text = after.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  sql << "INSERT INTO audit_log (tenant_id, id, actor, action, entity, entity_id, after, "
         "created_at) VALUES (:t, :i, :ac, :a, :e, :ei, :af, :at)",
      soci::use(tenant_id), soci::use(id), soci::use(actor), soci::use(action), soci::use(entity),
      soci::use(entity_id), soci::use(after_text), soci::use(at);
}

}  // namespace baraza
