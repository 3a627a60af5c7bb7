#pragma once

#include <string>
#include <vector>

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

// A sender known by wa_id alone (no business-scoped id: the common case), whose contact one
// statement finds or creates.
bool oneStatement(const Sender& from);

// Many such senders (of any tenants: the transaction acts for all) in one statement, their
// contacts in the same order. A sender that comes again in the batch is upserted after the
// statement, alone (a statement may change a row only once).
struct ByWaId {
  std::string tenant_id;
  std::string channel_type;
  const Sender* from;
  std::string stamp;
};
std::vector<Upserted> upsertMany(TenantScope& tx, const std::vector<ByWaId>& senders);

}  // namespace contact_store
}  // namespace baraza
