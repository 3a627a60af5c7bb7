#include "tenancy/audit.h"

#include "core/iso_time.h"
#include "core/uuid.h"

namespace baraza {
namespace {

std::string text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void writeAudit(soci::session& sql, const std::string& tenant_id, const std::string& actor,
                const std::string& action, const std::string& entity, const std::string& entity_id,
                const nlohmann::json& after, const nlohmann::json& before) {
  std::string id = newUuid(), at = isoNowMicros();
  std::string after_text = text(after), before_text = text(before);
  soci::indicator bi = before.is_null() ? soci::i_null : soci::i_ok;
  soci::indicator ai = after.is_null() ? soci::i_null : soci::i_ok;
  sql << "INSERT INTO audit_log (tenant_id, id, actor, action, entity, entity_id, before, after, "
         "created_at) VALUES (:t, :i, :ac, :a, :e, :ei, :bf, :af, :at)",
      soci::use(tenant_id), soci::use(id), soci::use(actor), soci::use(action), soci::use(entity),
      soci::use(entity_id), soci::use(before_text, bi), soci::use(after_text, ai), soci::use(at);
}

void writeOperatorAudit(soci::session& sql, const std::string& actor, const std::string& action,
                        const std::string& entity, const std::string& entity_id,
                        const nlohmann::json& after, const nlohmann::json& before) {
  std::string id = newUuid(), at = isoNowMicros();
  std::string after_text = text(after), before_text = text(before);
  soci::indicator bi = before.is_null() ? soci::i_null : soci::i_ok;
  soci::indicator ai = after.is_null() ? soci::i_null : soci::i_ok;
  sql << "INSERT INTO operator_audit_log (id, actor, action, entity, entity_id, before, after, "
         "created_at) VALUES (:i, :ac, :a, :e, :ei, :bf, :af, :at)",
      soci::use(id), soci::use(actor), soci::use(action), soci::use(entity), soci::use(entity_id),
      soci::use(before_text, bi), soci::use(after_text, ai), soci::use(at);
}

}  // namespace baraza
