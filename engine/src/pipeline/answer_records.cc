#include "pipeline/answer_records.h"

#include <spdlog/spdlog.h>

#include "core/iso_time.h"
#include "core/metrics.h"
#include "core/uuid.h"
#include "pipeline/escalation_store.h"

namespace baraza {
namespace {

using nlohmann::json;

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

std::optional<OutboxEntry> escalationNotice(TenantScope& tx, const TenantConfig& tenant,
                                            const EscalationNotice& n, const std::string& now_iso,
                                            const std::string& stamp, std::string& how) {
  auto& metrics = MetricsRegistry::global();
  auto outcome = [&](const std::string& result) {
    metrics.counterAdd("baraza_escalation_notices_total", {{"result", result}});
    how = result;
  };
  std::string phone = waNumber(n.phone);
  if (phone.empty()) {
    spdlog::warn("tenant {}: escalation {} not notified: no phone number to tell ({})", tenant.slug,
                 n.action_id, n.phone.empty() ? "escalation_phone is empty" : "not a number");
    outcome("no_phone");
    return std::nullopt;
  }
  json request;
  if (escalation_store::windowOpen(tx, tenant.id, phone, now_iso)) {
    std::string text = "Escalation from " + n.contact + ": " + n.reason;
    if (!n.customer_text.empty())
      text += "\nThey wrote: " + n.customer_text.substr(0, 1000);
    request = {{"kind", "text"}, {"text", text}, {"to", phone}};
    outcome("text");
  } else {
    std::string name = tenant.settings.value("escalation_template", std::string());
    if (name.empty()) {
      spdlog::warn(
          "tenant {}: escalation {} not notified: {} is outside its 24-hour window and "
          "settings.escalation_template is empty",
          tenant.slug, n.action_id, phone);
      outcome("outside_window");
      return std::nullopt;
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
                         {"parameters", json::array({{{"type", "text"}, {"text", n.contact}},
                                                     {{"type", "text"},
                                                      {"text", n.reason.substr(0, 500)}}})}}})}}}};
    outcome("template");
  }
  escalation_store::markNotified(tx, tenant.id, n.action_id, stamp);
  return OutboxEntry{tenant.id,
                     newUuid(),
                     n.action_id,
                     "",
                     n.channel_account_id,
                     phone,
                     request.dump(-1, ' ', false, json::error_handler_t::replace)};
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
