#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/inbound_event.h"
#include "storage/database.h"

namespace baraza {

// An outbound message row: a reply, with what produced it (docs/answers.md).
struct OutboundMessage {
  std::string tenant_id, id, conversation_id, contact_id, in_reply_to;
  std::string message_type, body;
  nlohmann::json request;  // the channel's send request
  std::string strategy, ai_model, ai_provider, knowledge_entry_id;
  std::optional<double> knowledge_score;
  std::optional<long long> ai_latency_ms, ai_prompt_tokens, ai_completion_tokens;
  long long processing_ms = 0;
  bool fallback = false;
  std::string stamp;  // created_at and updated_at
};

// One line of a conversation, oldest first.
struct HistoryLine {
  std::string id, direction, type, body, at;
};

// The SQL of the messages table (and of pending_statuses, the statuses that came before their
// message was known) on the message path.
namespace message_store {

// An inbound message to store: its event and the rows it joins.
struct InboundRow {
  std::string tenant_id, conversation_id, contact_id;
  const InboundEvent* event = nullptr;  // its payload must be a JSON object (parsePayload)
  std::string stamp;                    // created_at and updated_at
  std::string id;                       // set by insertInbound(): the new row's id
};
// Stores the messages of any tenants in one statement (run it acting for all tenants) and
// returns the ids of those stored now; a message stored before (a redelivery, or a step redone
// after a crash) keeps its row and is not among them: find it with findInboundCall().
std::set<std::string> insertInbound(TenantScope& tx, std::vector<InboundRow>& rows);

// The look for a message stored before, to run with others; read it with firstId().
PreparedStatements::Call findInboundCall(const std::string& tenant_id, const InboundEvent& event);
std::string firstId(const Rows& rows);

// Stores replies (status queued), all in one statement.
void insertOutbound(TenantScope& tx, const std::vector<OutboundMessage>& messages);

// Inbound messages (tenant, id) that went through the strategies and got no answer, or only a
// fallback; all at once.
void markUnanswered(TenantScope& tx,
                    const std::vector<std::pair<std::string, std::string>>& messages);

// The conversation's latest `limit` messages, oldest first.
std::vector<HistoryLine> history(TenantScope& tx, const std::string& tenant_id,
                                 const std::string& conversation_id, int limit);

// How many of the conversation's inbound messages before `current_id`, in a row, went through
// the strategies and got no answer (messages.unanswered) or only a fallback (the reply's
// messages.fallback); messages the bot chose not to answer are skipped, a real reply ends the
// run. Counts at most `cap`.
int unansweredStreak(TenantScope& tx, const std::string& tenant_id,
                     const std::string& conversation_id, const std::string& current_id, int cap);

// Every inbound text of the conversation since its last reply, oldest first, joined by lines.
std::string textSinceLastReply(TenantScope& tx, const std::string& tenant_id,
                               const std::string& conversation_id);

// The limit check stored on an inbound message by an earlier attempt (JSON), or nullopt.
std::optional<std::string> limitCheck(TenantScope& tx, const std::string& tenant_id,
                                      const std::string& message_id);
void storeLimitCheck(TenantScope& tx, const std::string& tenant_id, const std::string& message_id,
                     const std::string& check_json);

// Moves an outbound message's status forward (queued < sent < delivered < read; failed is
// final and keeps its error, read from `payload`, the status event as stored, only then). False
// when the tenant has no outbound message with that id.
bool applyStatus(TenantScope& tx, const std::string& tenant_id, const std::string& channel_id,
                 const std::string& status, const std::string& payload, const std::string& stamp);
// A status whose message is not known yet, kept until its send is recorded.
void keepPendingStatus(TenantScope& tx, const std::string& account_id,
                       const std::string& channel_id, const std::string& status,
                       const std::string& payload, long long now_ms);

// Order of outbound statuses: a status only moves forward (failed is terminal, kept apart).
int statusRank(const std::string& status);

}  // namespace message_store
}  // namespace baraza
