#include "pipeline/escalation_store.h"

#include "core/uuid.h"
#include "pipeline/conversation_store.h"

namespace baraza::escalation_store {
namespace {

const Statement kRecord{
    "escalation_record",
    "INSERT INTO actions (tenant_id, id, conversation_id, contact_id, message_id, type, details, "
    "priority, status, assignee, source, created_at) VALUES ($1, $2, $3, $4, $5, 'escalation', "
    "$6, $7, 'open', $8, $9, $10)",
    ""};

const Statement kNotified{"escalation_notified",
                          "UPDATE actions SET notified_at = $1 WHERE tenant_id = $2 AND id = $3",
                          ""};

const Statement kWindowOpen{
    "escalation_staff_window",
    "SELECT COUNT(*) FROM conversations c JOIN contacts p ON p.tenant_id = c.tenant_id AND p.id "
    "= c.contact_id WHERE c.tenant_id = $1 AND p.wa_id = $2 AND c.window_expires_at >= CAST($3 "
    "AS TIMESTAMPTZ)",
    "SELECT COUNT(*) FROM conversations c JOIN contacts p ON p.tenant_id = c.tenant_id AND p.id "
    "= c.contact_id WHERE c.tenant_id = $1 AND p.wa_id = $2 AND c.window_expires_at >= $3"};

}  // namespace

std::string record(TenantScope& tx, const NewEscalation& e, const std::string& stamp) {
  std::string id = newUuid();
  tx.run(kRecord, Params()
                      .text(e.tenant_id)
                      .text(id)
                      .textOrNull(e.conversation_id)
                      .text(e.contact_id)
                      .text(e.message_id)
                      .text(e.reason)
                      .text(e.priority)
                      .textOrNull(e.assignee)
                      .text(e.source)
                      .text(stamp));
  if (!e.conversation_id.empty())
    conversation_store::markEscalated(tx, e.tenant_id, e.conversation_id);
  return id;
}

void markNotified(TenantScope& tx, const std::string& tenant_id, const std::string& action_id,
                  const std::string& stamp) {
  tx.run(kNotified, Params().text(stamp).text(tenant_id).text(action_id));
}

bool windowOpen(TenantScope& tx, const std::string& tenant_id, const std::string& wa_id,
                const std::string& now) {
  return tx.run(kWindowOpen, Params().text(tenant_id).text(wa_id).text(now)).integer(0, 0) > 0;
}

}  // namespace baraza::escalation_store
