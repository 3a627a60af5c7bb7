#pragma once

#include <string>

#include "storage/database.h"

namespace baraza {

// The SQL of the actions table on the message path: escalations to a person (docs/answers.md).
namespace escalation_store {

struct NewEscalation {
  std::string tenant_id, conversation_id, contact_id, message_id;
  std::string reason, priority, assignee, source;
};
// Records an open escalation and marks its conversation escalated (none: a tenant-wide one that
// pauses no conversation); returns the action's id.
std::string record(TenantScope& tx, const NewEscalation& e, const std::string& stamp);
void markNotified(TenantScope& tx, const std::string& tenant_id, const std::string& action_id,
                  const std::string& stamp);

// Whether `wa_id` has written to the tenant within its 24-hour window as of `now` (ISO): the
// staff phone can then be sent a free-form text.
bool windowOpen(TenantScope& tx, const std::string& tenant_id, const std::string& wa_id,
                const std::string& now);

}  // namespace escalation_store
}  // namespace baraza
