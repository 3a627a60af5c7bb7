#pragma once

#include <string>

#include "pipeline/inbound_event.h"
#include "storage/database.h"

namespace baraza {

// The SQL of the contacts table on the message path.
namespace contact_store {

struct Upserted {
  std::string id;
  bool created = false;  // first seen with this message
};

// The contact of `from`, keyed on the business-scoped user id when Meta sends one, else wa_id;
// created, or updated with what the message says (profile name, username, phone kept current;
// what is known stays known). A user id arriving with a wa_id that an older contact holds leaves
// the wa_id there (logged and counted in baraza_contact_identity_conflicts_total) instead of
// failing the message for good. `stamp` is the message clock's time.
Upserted upsert(TenantScope& tx, const std::string& tenant_id, const std::string& channel_type,
                const Sender& from, const std::string& stamp);

// The same as one statement to run with others, for a sender known by wa_id alone (no
// business-scoped id: the common case); read its rows with upserted().
bool oneStatement(const Sender& from);
PreparedStatements::Call upsertCall(const std::string& tenant_id, const std::string& channel_type,
                                    const Sender& from, const std::string& stamp);
Upserted upserted(const Rows& rows);

}  // namespace contact_store
}  // namespace baraza
