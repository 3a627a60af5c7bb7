#pragma once

#include <vector>

#include "pipeline/message_work.h"
#include "pipeline/outbox_store.h"
#include "storage/database.h"

namespace baraza {

// Sends to queue leased to this process and hand to its dispatcher after the commit
// (OutboxDispatcher::reserve): at most `count` of them, under `lease`.
struct SendHandoff {
  size_t count = 0;
  SendLease lease;
};

// How many of the messages' sends could be handed over: replies and read receipts, whose window
// the batch knows (an escalation notice's is looked up by the dispatcher's claim).
size_t handableSends(const std::vector<MessageWork*>& works);

// Writes what finished messages produced, for all of them at once: every send (replies, read
// receipts, escalation notices) in one statement, the replies the outbox took in one (a retry's
// second reply is refused by the outbox's one-reply-per-message key and not written), and their
// usage in one, in key order. The transaction acts as the operator ('*'): the rows span tenants.
// Returns the sends queued leased (`handoff`), as the dispatcher would have claimed them.
std::vector<ClaimedSend> writeAnswers(TenantScope& tx, const std::vector<MessageWork*>& works,
                                      long long now_ms, const SendHandoff& handoff = {});

// After the commit: usage and reply metrics. Returns how many replies were queued.
int publishAnswers(const std::vector<MessageWork*>& works);

}  // namespace baraza
