#include "pipeline/message_store.h"

#include <cmath>
#include <set>

#include "core/uuid.h"
#include "storage/batch_columns.h"

namespace baraza::message_store {
namespace {

using nlohmann::json;

// Many tenants' messages in one statement: on PostgreSQL each column an array (unnest parses
// them at a fraction of what json_to_recordset costs for the same rows: measured 50 µs a row
// against 90 with the payload), on SQLite a JSON array with the stored event embedded as an
// object.
const Statement kInsertInbound{
    "message_insert_inbound",
    "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
    "channel_message_id, message_type, body, payload, status, created_at, updated_at) SELECT "
    "v.tenant_id, v.id, v.conversation_id, v.contact_id, 'inbound', v.channel_message_id, v.type, "
    "v.body, CAST(v.payload AS jsonb), 'received', v.at, v.at FROM unnest($1::uuid[], "
    "$2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], "
    "$9::timestamptz[]) AS v(tenant_id, id, conversation_id, contact_id, channel_message_id, type, "
    "body, payload, at) ON CONFLICT (tenant_id, direction, channel_message_id) DO NOTHING "
    "RETURNING id",
    "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, "
    "channel_message_id, message_type, body, payload, status, created_at, updated_at) SELECT "
    "value ->> 'tenant_id', value ->> 'id', value ->> 'conversation_id', value ->> 'contact_id', "
    "'inbound', value ->> 'channel_message_id', value ->> 'type', value ->> 'body', value ->> "
    "'payload', 'received', value ->> 'at', value ->> 'at' FROM json_each($1) WHERE true ON "
    "CONFLICT (tenant_id, direction, channel_message_id) DO NOTHING RETURNING id"};

const Statement kFindInbound{"message_find_inbound",
                             "SELECT id FROM messages WHERE tenant_id = $1 AND direction = "
                             "'inbound' AND channel_message_id = $2",
                             ""};

const Statement kInsertOutbound{
    "message_insert_outbound",
    "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, message_type, "
    "body, payload, status, ai_processed, ai_model, knowledge_entry_id, strategy, processing_ms, "
    "in_reply_to, created_at, updated_at, knowledge_score, ai_provider, ai_latency_ms, "
    "ai_prompt_tokens, ai_completion_tokens, fallback) SELECT v.tenant_id, v.id, "
    "v.conversation_id, v.contact_id, 'outbound', v.type, v.body, CAST(v.payload AS jsonb), "
    "'queued', v.ai_model IS NOT NULL, v.ai_model, v.knowledge_entry_id, v.strategy, "
    "v.processing_ms, v.in_reply_to, v.at, v.at, v.score, v.ai_provider, v.ai_latency_ms, "
    "v.ai_prompt_tokens, v.ai_completion_tokens, v.fallback FROM unnest($1::uuid[], $2::uuid[], "
    "$3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::uuid[], "
    "$10::text[], $11::bigint[], $12::uuid[], $13::timestamptz[], $14::real[], $15::text[], "
    "$16::bigint[], $17::bigint[], $18::bigint[], $19::boolean[]) AS v(tenant_id, id, "
    "conversation_id, contact_id, type, body, payload, ai_model, knowledge_entry_id, strategy, "
    "processing_ms, in_reply_to, at, score, ai_provider, ai_latency_ms, ai_prompt_tokens, "
    "ai_completion_tokens, fallback)",
    "INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, message_type, "
    "body, payload, status, ai_processed, ai_model, knowledge_entry_id, strategy, processing_ms, "
    "in_reply_to, created_at, updated_at, knowledge_score, ai_provider, ai_latency_ms, "
    "ai_prompt_tokens, ai_completion_tokens, fallback) SELECT value ->> 'tenant_id', value ->> "
    "'id', value ->> 'conversation_id', value ->> 'contact_id', 'outbound', value ->> 'type', "
    "value ->> 'body', value -> 'payload', 'queued', CASE WHEN value ->> 'ai_model' IS NULL THEN "
    "0 ELSE 1 END, value ->> 'ai_model', value ->> 'knowledge_entry_id', value ->> 'strategy', "
    "value ->> 'processing_ms', value ->> 'in_reply_to', value ->> 'at', value ->> 'at', value "
    "->> 'score', value ->> 'ai_provider', value ->> 'ai_latency_ms', value ->> "
    "'ai_prompt_tokens', value ->> 'ai_completion_tokens', value ->> 'fallback' FROM "
    "json_each($1)"};

// A batch's unanswered messages in one statement, not one each.
const Statement kMarkUnanswered{
    "message_mark_unanswered",
    "UPDATE messages SET unanswered = TRUE FROM unnest($1::uuid[], $2::uuid[]) AS v(tenant_id, "
    "id) WHERE messages.tenant_id = v.tenant_id AND messages.id = v.id",
    "UPDATE messages SET unanswered = TRUE WHERE (tenant_id, id) IN (SELECT value ->> 0, value "
    "->> 1 FROM json_each($1))",
    true};

// Newest first through messages_by_conversation (row stamps are unique within a process, so
// no second sort key, which would cost a sort).
const Statement kHistory{
    "message_history",
    "SELECT id, direction, message_type, COALESCE(body, ''), CAST(created_at AS TEXT) AS at "
    "FROM messages WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY created_at DESC LIMIT "
    "$3",
    ""};

const Statement kStreak{
    "message_unanswered_streak",
    "SELECT id, direction, CASE WHEN fallback THEN 1 ELSE 0 END, CASE WHEN unanswered THEN 1 "
    "ELSE 0 END, COALESCE(CAST(in_reply_to AS TEXT), '') FROM messages WHERE tenant_id = $1 AND "
    "conversation_id = $2 ORDER BY created_at DESC LIMIT $3",
    ""};

const Statement kSinceLastReply{
    "message_text_since_last_reply",
    "SELECT COALESCE(body, '') FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND "
    "direction = 'inbound' AND created_at > COALESCE((SELECT MAX(created_at) FROM messages WHERE "
    "tenant_id = $1 AND conversation_id = $2 AND direction = 'outbound'), '-infinity') ORDER BY "
    "created_at",
    "SELECT COALESCE(body, '') FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND "
    "direction = 'inbound' AND created_at > COALESCE((SELECT MAX(created_at) FROM messages WHERE "
    "tenant_id = $1 AND conversation_id = $2 AND direction = 'outbound'), '') ORDER BY "
    "created_at"};

const Statement kLimitCheck{
    "message_limit_check", "SELECT limit_check FROM messages WHERE tenant_id = $1 AND id = $2", ""};
const Statement kStoreLimitCheck{
    "message_store_limit_check",
    "UPDATE messages SET limit_check = $3 WHERE tenant_id = $1 AND id = $2", ""};

const Statement kFindOutbound{"message_find_outbound",
                              "SELECT id, status FROM messages WHERE tenant_id = $1 AND "
                              "direction = 'outbound' AND channel_message_id = $2",
                              ""};
const Statement kFail{"message_status_failed",
                      "UPDATE messages SET status = 'failed', error_code = $3, error_message = "
                      "$4, updated_at = $5 WHERE tenant_id = $1 AND id = $2 AND status <> "
                      "'failed'",
                      ""};
// The rank test is in the UPDATE itself: two statuses of one message processed at once (read
// and delivered, by two workers) both read the same status first, and on PostgreSQL the later
// UPDATE re-checks the row the earlier one committed, so a status never moves backwards.
const Statement kForward{
    "message_status_forward",
    "UPDATE messages SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND "
    "(CASE status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' "
    "THEN 3 WHEN 'played' THEN 4 ELSE 99 END) < $5",
    ""};
const Statement kKeepPending{
    "pending_status_keep",
    "INSERT INTO pending_statuses (account_id, channel_message_id, status, payload, received_ms) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    ""};

json nullable(const std::string& s) {
  return s.empty() ? json() : json(s);
}

template <class T>
json nullable(const std::optional<T>& v) {
  return v ? json(*v) : json();
}

}  // namespace

namespace {

std::optional<std::string> orNull(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

std::optional<std::string> orNull(const std::optional<long long>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}

// A score that is not a number is stored as none, as the JSON path stores it.
std::optional<std::string> orNull(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? std::optional<std::string>(json(*v).dump()) : std::nullopt;
}

Params inboundArrays(const std::vector<InboundRow>& rows) {
  ColumnArrays columns;
  for (const auto& row : rows) {
    const InboundEvent& e = *row.event;
    columns.addRow({row.tenant_id, row.id, row.conversation_id, row.contact_id, e.id, e.type,
                    orNull(e.text), e.payload, row.stamp});
  }
  return columns.params();
}

Params outboundArrays(const std::vector<OutboundMessage>& messages) {
  ColumnArrays columns;
  for (const auto& m : messages) {
    columns.addRow({m.tenant_id, m.id, m.conversation_id, m.contact_id, m.message_type, m.body,
                    m.request.dump(-1, ' ', false, json::error_handler_t::replace),
                    orNull(m.ai_model), orNull(m.knowledge_entry_id), m.strategy,
                    std::to_string(m.processing_ms), orNull(m.in_reply_to), m.stamp,
                    orNull(m.knowledge_score), orNull(m.ai_provider), orNull(m.ai_latency_ms),
                    orNull(m.ai_prompt_tokens), orNull(m.ai_completion_tokens),
                    m.fallback ? "true" : "false"});
  }
  return columns.params();
}

Params inboundJson(const std::vector<InboundRow>& rows) {
  auto quoted = [](const std::string& s) {
    return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
  };
  std::string array = "[";
  for (const auto& row : rows) {
    const InboundEvent& e = *row.event;
    if (array.size() > 1)
      array += ',';
    array += R"({"tenant_id":)" + quoted(row.tenant_id) + R"(,"id":)" + quoted(row.id) +
             R"(,"conversation_id":)" + quoted(row.conversation_id) + R"(,"contact_id":)" +
             quoted(row.contact_id) + R"(,"channel_message_id":)" + quoted(e.id) + R"(,"type":)" +
             quoted(e.type) + R"(,"body":)" +
             (e.text.empty() ? std::string("null") : quoted(e.text)) + R"(,"at":)" +
             quoted(row.stamp) + R"(,"payload":)" + e.payload + "}";
  }
  return Params().text(array + "]");
}

}  // namespace

std::set<std::string> insertInbound(TenantScope& tx, std::vector<InboundRow>& rows) {
  if (rows.empty())
    return {};
  for (auto& row : rows)
    row.id = newUuid();
  Rows inserted = tx.run(kInsertInbound, tx.dialect() == Dialect::kPostgresql ? inboundArrays(rows)
                                                                              : inboundJson(rows));
  auto ids = inserted.texts(0);
  return {ids.begin(), ids.end()};
}

PreparedStatements::Call findInboundCall(const std::string& tenant_id, const InboundEvent& event) {
  return {&kFindInbound, Params().text(tenant_id).text(event.id)};
}

std::string firstId(const Rows& rows) {
  return rows.empty() ? std::string() : rows.text(0, 0);
}

void insertOutbound(TenantScope& tx, const std::vector<OutboundMessage>& messages) {
  if (messages.empty())
    return;
  if (tx.dialect() == Dialect::kPostgresql) {
    tx.run(kInsertOutbound, outboundArrays(messages));
    return;
  }
  json rows = json::array();
  for (const auto& m : messages) {
    rows.push_back({{"tenant_id", m.tenant_id},
                    {"id", m.id},
                    {"conversation_id", m.conversation_id},
                    {"contact_id", m.contact_id},
                    {"type", m.message_type},
                    {"body", m.body},
                    {"payload", m.request},
                    {"ai_model", nullable(m.ai_model)},
                    {"knowledge_entry_id", nullable(m.knowledge_entry_id)},
                    {"strategy", m.strategy},
                    {"processing_ms", m.processing_ms},
                    {"in_reply_to", m.in_reply_to},
                    {"at", m.stamp},
                    {"score", nullable(m.knowledge_score)},
                    {"ai_provider", nullable(m.ai_provider)},
                    {"ai_latency_ms", nullable(m.ai_latency_ms)},
                    {"ai_prompt_tokens", nullable(m.ai_prompt_tokens)},
                    {"ai_completion_tokens", nullable(m.ai_completion_tokens)},
                    {"fallback", m.fallback}});
  }
  tx.run(kInsertOutbound, Params().text(rows.dump(-1, ' ', false, json::error_handler_t::replace)));
}

void markUnanswered(TenantScope& tx,
                    const std::vector<std::pair<std::string, std::string>>& messages) {
  if (messages.empty())
    return;
  std::vector<BatchColumn> columns(2);
  for (const auto& [tenant, id] : messages) {
    columns[0].emplace_back(tenant);
    columns[1].emplace_back(id);
  }
  Params params;
  tx.run(kMarkUnanswered, batchColumns(params, tx.dialect(), columns));
}

std::vector<HistoryLine> history(TenantScope& tx, const std::string& tenant_id,
                                 const std::string& conversation_id, int limit) {
  Rows r = tx.run(kHistory, Params().text(tenant_id).text(conversation_id).integer(limit));
  std::vector<HistoryLine> lines;
  for (size_t i = r.size(); i-- > 0;)
    lines.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4)});
  return lines;
}

int unansweredStreak(TenantScope& tx, const std::string& tenant_id,
                     const std::string& conversation_id, const std::string& current_id, int cap) {
  Rows r = tx.run(kStreak, Params().text(tenant_id).text(conversation_id).integer(cap * 2 + 2));
  int streak = 0;
  // Newest first. A fallback reply stands for the message it answered; a message with no reply
  // at all is marked unanswered itself. (Before 2026-12, a message answered by a fallback was
  // marked too: it is not counted twice.)
  std::set<std::string> counted;
  for (size_t i = 0; i < r.size() && streak < cap; ++i) {
    if (r.text(i, 0) == current_id)
      continue;
    if (r.text(i, 1) == "inbound") {
      // Messages the bot chose not to answer (debounced, paused, a person's turn) do not count.
      if (r.integer(i, 3) != 0 && !counted.count(r.text(i, 0)))
        ++streak;
    } else if (r.integer(i, 2) == 0) {
      break;  // a real answer ends the streak
    } else {
      counted.insert(r.text(i, 4));
      ++streak;
    }
  }
  return streak;
}

std::string textSinceLastReply(TenantScope& tx, const std::string& tenant_id,
                               const std::string& conversation_id) {
  Rows r = tx.run(kSinceLastReply, Params().text(tenant_id).text(conversation_id));
  std::string combined;
  for (size_t i = 0; i < r.size(); ++i) {
    if (!r.text(i, 0).empty())
      combined += (combined.empty() ? "" : "\n") + r.text(i, 0);
  }
  return combined;
}

std::optional<std::string> limitCheck(TenantScope& tx, const std::string& tenant_id,
                                      const std::string& message_id) {
  Rows r = tx.run(kLimitCheck, Params().text(tenant_id).text(message_id));
  if (r.empty() || r.isNull(0, 0))
    return std::nullopt;
  return r.text(0, 0);
}

void storeLimitCheck(TenantScope& tx, const std::string& tenant_id, const std::string& message_id,
                     const std::string& check_json) {
  tx.run(kStoreLimitCheck, Params().text(tenant_id).text(message_id).text(check_json));
}

int statusRank(const std::string& status) {
  if (status == "queued")
    return 0;
  if (status == "sent")
    return 1;
  if (status == "delivered")
    return 2;
  if (status == "read")
    return 3;
  if (status == "played")
    return 4;
  return -1;
}

bool applyStatus(TenantScope& tx, const std::string& tenant_id, const std::string& channel_id,
                 const std::string& status, const std::string& payload, const std::string& stamp) {
  Rows found = tx.run(kFindOutbound, Params().text(tenant_id).text(channel_id));
  if (found.empty())
    return false;
  const std::string id = found.text(0, 0);
  if (found.text(0, 1) == "failed")
    return true;  // final
  if (status == "failed") {
    json event = json::parse(payload, nullptr, false);
    std::string code, text;
    if (event.contains("errors") && event["errors"].is_array() && !event["errors"].empty()) {
      const auto& e = event["errors"][0];
      code = e.contains("code") ? e["code"].dump() : "";
      text = jsonText(e, "title");
      if (text.empty())
        text = jsonText(e, "message");
    }
    tx.run(kFail, Params().text(tenant_id).text(id).text(code).text(text).text(stamp));
    return true;
  }
  int rank = statusRank(status);
  if (rank > statusRank(found.text(0, 1)))
    tx.run(kForward, Params().text(tenant_id).text(id).text(status).text(stamp).integer(rank));
  return true;
}

void keepPendingStatus(TenantScope& tx, const std::string& account_id,
                       const std::string& channel_id, const std::string& status,
                       const std::string& payload, long long now_ms) {
  tx.run(kKeepPending,
         Params().text(account_id).text(channel_id).text(status).text(payload).integer(now_ms));
}

}  // namespace baraza::message_store
