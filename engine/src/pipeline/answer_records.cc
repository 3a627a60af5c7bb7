#include "pipeline/answer_records.h"

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "core/uuid.h"

namespace baraza {
namespace {

using nlohmann::json;

// `column` at or after the ISO time bound as :since, in either dialect.
std::string since(Dialect dialect, const std::string& column) {
  return dialect == Dialect::kPostgresql ? column + " >= CAST(:since AS TIMESTAMPTZ)"
                                         : column + " >= :since";
}

std::string isoAt(long long ms) {
  return formatIsoUtc(static_cast<std::time_t>(ms / 1000));
}

// A phone number as WhatsApp ids write it: digits only ("+254 700-000 001" is "254700000001");
// "" when it is not one.
std::string waNumber(const std::string& s) {
  std::string digits;
  for (char c : s) {
    if (c >= '0' && c <= '9')
      digits.push_back(c);
    else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')')
      return "";
  }
  return digits.size() >= 6 && digits.size() <= 20 ? digits : "";
}

}  // namespace

bool escalationPauses(soci::session& sql, Dialect dialect, const std::string& tenant_id,
                      const std::string& conversation_id, long long pause_minutes,
                      long long now_ms) {
  long long open = 0;
  std::string bound = isoAt(pause_minutes > 0 ? now_ms - pause_minutes * 60000 : 0);
  sql << "SELECT COUNT(*) FROM actions WHERE tenant_id = :t AND conversation_id = :c AND type = "
         "'escalation' AND status = 'open' AND " +
             since(dialect, "created_at"),
      soci::use(tenant_id), soci::use(conversation_id), soci::use(bound), soci::into(open);
  return open > 0;
}

int unansweredStreak(soci::session& sql, const std::string& tenant_id,
                     const std::string& conversation_id, const std::string& current_id, int cap) {
  long long limit = cap * 2 + 2;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT CAST(id AS TEXT), direction, CASE WHEN fallback THEN 1 ELSE 0 END, "
                      "CASE WHEN unanswered THEN 1 ELSE 0 END FROM messages WHERE tenant_id = :t "
                      "AND conversation_id = :c ORDER BY created_at DESC, direction LIMIT :n",
       soci::use(tenant_id), soci::use(conversation_id), soci::use(limit));
  int streak = 0;
  for (const auto& r : rows) {
    if (r.get<std::string>(0) == current_id)
      continue;
    if (r.get<std::string>(1) == "inbound") {
      // Messages the bot chose not to answer (debounced, paused, a person's turn) do not count.
      if (rowInt(r, 3) != 0 && ++streak >= cap)
        break;
    } else if (rowInt(r, 2) == 0) {
      break;  // a real answer ends the streak
    }
  }
  return streak;
}

std::string notifyEscalation(soci::session& sql, Dialect dialect, const TenantConfig& tenant,
                             const std::string& channel_account_id, const std::string& action_id,
                             const std::string& phone_text, const std::string& contact,
                             const std::string& reason, const std::string& customer_text,
                             long long now_ms) {
  auto& metrics = MetricsRegistry::global();
  auto outcome = [&](const std::string& result) {
    metrics.counterAdd("baraza_escalation_notices_total", {{"result", result}});
    return result;
  };
  std::string phone = waNumber(phone_text);
  if (phone.empty()) {
    spdlog::warn("tenant {}: escalation {} not notified: no phone number to tell ({})", tenant.slug,
                 action_id, phone_text.empty() ? "escalation_phone is empty" : "not a number");
    return outcome("no_phone");
  }
  // The phone's own 24-hour window: has that number written to this tenant lately?
  long long open = 0;
  std::string now_iso = isoAt(now_ms);
  sql << "SELECT COUNT(*) FROM conversations c JOIN contacts p ON p.tenant_id = c.tenant_id AND "
         "p.id = c.contact_id WHERE c.tenant_id = :t AND p.wa_id = :w AND " +
             since(dialect, "c.window_expires_at"),
      soci::use(tenant.id), soci::use(phone), soci::use(now_iso), soci::into(open);
  json request;
  std::string how;
  if (open > 0) {
    std::string text = "Escalation from " + contact + ": " + reason;
    if (!customer_text.empty())
      text += "\nThey wrote: " + customer_text.substr(0, 1000);
    request = {{"kind", "text"}, {"text", text}, {"to", phone}};
    how = "text";
  } else {
    std::string name = tenant.settings.value("escalation_template", std::string());
    if (name.empty()) {
      spdlog::warn(
          "tenant {}: escalation {} not notified: {} is outside its 24-hour window and "
          "settings.escalation_template is empty",
          tenant.slug, action_id, phone);
      return outcome("outside_window");
    }
    std::string language = tenant.settings.value("reengagement_language", std::string());
    request = {
        {"kind", "template"},
        {"to", phone},
        {"template",
         {{"name", name},
          {"language", language.empty() ? "en" : language},
          {"components",
           json::array({{{"type", "body"},
                         {"parameters", json::array({{{"type", "text"}, {"text", contact}},
                                                     {{"type", "text"},
                                                      {"text", reason.substr(0, 500)}}})}}})}}}};
    how = "template";
  }
  std::string id = newUuid(), text = request.dump(-1, ' ', false, json::error_handler_t::replace);
  sql << "INSERT INTO outbox_messages (tenant_id, id, message_id, channel_account_id, recipient, "
         "request, next_attempt_ms, created_ms) VALUES (:t, :i, :m, :a, :to, :rq, :n, :c)",
      soci::use(tenant.id), soci::use(id), soci::use(action_id), soci::use(channel_account_id),
      soci::use(phone), soci::use(text), soci::use(now_ms), soci::use(now_ms);
  std::string stamp = isoNowMicros();
  sql << "UPDATE actions SET notified_at = :n WHERE tenant_id = :t AND id = :i", soci::use(stamp),
      soci::use(tenant.id), soci::use(action_id);
  return outcome(how);
}

AnswerColumns answerColumns(const Decision& decision) {
  AnswerColumns c;
  c.knowledge_score = decision.score;
  c.fallback = decision.fallback;
  if (decision.ai.is_object()) {
    c.ai_provider = decision.ai.value("provider", "");
    auto number = [&](const char* n) -> std::optional<long long> {
      if (decision.ai.contains(n) && decision.ai[n].is_number_integer())
        return decision.ai[n].get<long long>();
      return std::nullopt;
    };
    c.ai_latency_ms = number("latency_ms");
    c.ai_prompt_tokens = number("prompt_tokens");
    c.ai_completion_tokens = number("completion_tokens");
  }
  return c;
}

}  // namespace baraza
