#pragma once

#include "pipeline/message_work.h"
#include "storage/database.h"

namespace baraza {

// The steps of one inbound message, in order (docs/pipeline.md, "One message"):
//
//   route ─► record ─► gate ─► hooks ─► limits ─► decide ─► conclude
//
// Route and record run for the whole batch at once, the others message by message.
//
// Each takes the message's work so far and the transaction it runs in, does one job and leaves
// what it found on the work for the next. None throws for a decision: a silence, a postponement
// or a strategy that waits is a field of the work. A database failure does throw (the
// transaction is lost with it); the batch that runs the steps catches it in one place.

// The tenant of the receiving number (then of its display number, then pipeline.default_tenant)
// and its receiving account. False when no tenant has the number: the event is unrouted.
bool routeMessage(MessageWork& work, const TenantDirectory& directory,
                  const PipelineConfig& config);

// Whether the Meta app that signed the event may deliver for its receiving account: an account
// that names its app takes that app's events only, one that names none (or no account) only the
// events of the app serving the bare webhook path. Otherwise one app's secret could inject
// events for every tenant. Events that carry no app_default mark pass.
bool appMayDeliver(const MessageWork& work);

// For every message of a batch: the contact, its conversation (24-hour window from the
// message's own time) and the inbound message, each kind for all messages at once (one round
// trip each on PostgreSQL); for a new message also the organization's lead and the read
// receipt.
void recordMessages(std::vector<MessageWork*>& works, TenantScope& tx, StepParts& parts);

// Whether the bot answers at all: the tenant switched off, the bot or auto-reply off, a person's
// turn, an open escalation; and debounce (seed 003): an early event is postponed, one followed by
// a later message is silent, the last gets every text since the conversation's last reply.
void gateMessage(MessageWork& work, TenantScope& tx, StepParts& parts);

// The tenant script's on_message hook (docs/scripting.md, "When hooks run").
void runMessageHooks(MessageWork& work, TenantScope& tx, StepParts& parts);

// Limits and quotas (docs/limits.md), counted atomically in the database: past one, no
// strategy runs; the contact gets the limit reply once per period and a person is asked for
// once per period.
void checkLimits(MessageWork& work, TenantScope& tx, StepParts& parts);

// The script's route hook, then the strategy chain. It stops before a strategy that would wait
// on the network and sets work.waits: the batch commits first, that strategy runs with no
// transaction open (waitForAnswer), and the chain goes on in a new one (continueDecision).
void decideAnswer(MessageWork& work, TenantScope& tx, StepParts& parts);
void waitForAnswer(MessageWork& work);
void continueDecision(MessageWork& work, TenantScope& tx);

// The escalation (escalate hook, action, staff notice), before_send, limit releases, the
// unanswered mark, and the reply rows and usage the batch writes.
void concludeMessage(MessageWork& work, TenantScope& tx, StepParts& parts);

}  // namespace baraza
