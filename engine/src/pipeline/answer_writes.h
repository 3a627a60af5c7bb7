#pragma once

#include <vector>

#include "pipeline/message_work.h"
#include "storage/database.h"

namespace baraza {

// Writes what finished messages produced, for all of them at once: every send (replies, read
// receipts, escalation notices) in one statement, the replies the outbox took in one (a retry's
// second reply is refused by the outbox's one-reply-per-message key and not written), and their
// usage in one, in key order. The transaction acts as the operator ('*'): the rows span tenants.
void writeAnswers(TenantScope& tx, const std::vector<MessageWork*>& works, long long now_ms);

// After the commit: usage and reply metrics. Returns how many replies were queued.
int publishAnswers(const std::vector<MessageWork*>& works);

}  // namespace baraza
