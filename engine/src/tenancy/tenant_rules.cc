#include "tenancy/tenant_rules.h"

#include <cstdlib>
#include <regex>
#include <set>

#include "core/iso_time.h"
#include "tenancy/business_hours.h"
#include "tenancy/local_time.h"

namespace baraza {

bool isSlug(const std::string& text) {
  static const std::regex slug("^[a-z0-9][a-z0-9-]{0,62}$");
  return std::regex_match(text, slug);
}

FieldCheck checkChannel(const ChannelSpec& ch) {
  static const std::regex digits("^[0-9]{1,32}$");
  if (ch.type != "whatsapp")
    return FieldProblem{"type", "only whatsapp is supported"};
  if (!std::regex_match(ch.phone_number_id, digits))
    return FieldProblem{"phone_number_id", "is required and must be digits"};
  if (ch.display_phone_number.size() > 32)
    return FieldProblem{"display_phone_number", "must be at most 32 characters"};
  if (ch.waba_id.size() > 32)
    return FieldProblem{"waba_id", "must be at most 32 characters"};
  static const std::regex app_name("^[A-Za-z0-9_.-]{1,64}$");
  if (!ch.app.empty() && !std::regex_match(ch.app, app_name))
    return FieldProblem{"app", "must be a Meta app's name: 1-64 letters, digits, '_', '.' or '-'"};
  if (!ch.token_expires_at.empty() && !parseIsoUtc(ch.token_expires_at))
    return FieldProblem{"token_expires_at",
                        "must be an ISO 8601 UTC time such as 2027-06-30T00:00:00Z"};
  if (ch.access_token.empty())
    return FieldProblem{"access_token", "is required"};
  if (ch.access_token.size() > 4096 || ch.verify_token.size() > 512)
    return FieldProblem{ch.access_token.size() > 4096 ? "access_token" : "verify_token",
                        "is too long"};
  return std::nullopt;
}

FieldCheck checkTemplate(const TemplateSpec& t) {
  if (t.name.empty() || t.name.size() > 100)
    return FieldProblem{"name", "is required: 1 to 100 characters"};
  if (t.system_prompt.empty())
    return FieldProblem{"system_prompt", "is required"};
  if (t.system_prompt.size() > 20000)
    return FieldProblem{"system_prompt", "must be at most 20000 characters"};
  if (t.max_response_length < 0 || t.max_response_length > 4096)
    return FieldProblem{"max_response_length", "must be 1 to 4096 (WhatsApp's text limit)"};
  return std::nullopt;
}

FieldCheck checkKnowledge(const KnowledgeSpec& k) {
  static const std::set<std::string> kinds = {"faq", "canned_reply", "example", "rule"};
  if (!kinds.count(k.data_type))
    return FieldProblem{"type", "must be faq, canned_reply, example or rule"};
  if (k.question.empty() || k.question.size() > 2000)
    return FieldProblem{"question", "is required: 1 to 2000 characters"};
  if (k.answer.empty() || k.answer.size() > 4096)
    return FieldProblem{"answer", "is required: 1 to 4096 characters"};
  if (k.priority < 1 || k.priority > 10)
    return FieldProblem{"priority", "must be 1-10"};
  if (!(k.confidence >= 0.0 && k.confidence <= 1.0))
    return FieldProblem{"confidence", "must be from 0 to 1"};
  if (k.category.empty() || k.category.size() > 100)
    return FieldProblem{"category", "must be 1 to 100 characters"};
  if (k.keywords.size() > 100)
    return FieldProblem{"keywords", "at most 100 keywords"};
  for (const auto& word : k.keywords) {
    if (word.empty() || word.size() > 100)
      return FieldProblem{"keywords", "each keyword must be 1 to 100 characters"};
  }
  return std::nullopt;
}

bool isProviderName(const std::string& text) {
  if (text.empty() || text.size() > 32)
    return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

FieldCheck checkSettings(const nlohmann::json& s) {
  for (const char* limit :
       {"max_messages_per_hour", "max_messages_per_user_per_day", "daily_message_quota",
        "monthly_message_quota", "daily_ai_call_quota", "daily_token_quota"}) {
    if (!s.contains(limit) || !s[limit].is_number_integer() || s[limit].get<long long>() < 0 ||
        s[limit].get<long long>() > 2000000000)
      return FieldProblem{limit, "must be a whole number from 0 to 2000000000"};
  }
  for (const char* text : {"escalation_phone", "escalation_email"}) {
    if (s.contains(text) && s[text].is_string() && s[text].get<std::string>().size() > 200)
      return FieldProblem{text, "must be at most 200 characters"};
  }
  for (const char* reply : {"static_reply", "after_hours_reply"}) {
    if (s.contains(reply) && s[reply].is_string() && s[reply].get<std::string>().size() > 4096)
      return FieldProblem{reply, "must be at most 4096 characters (WhatsApp's limit)"};
  }
  if (s.contains("utc_offset_minutes") &&
      (!s["utc_offset_minutes"].is_number_integer() ||
       std::abs(s["utc_offset_minutes"].get<long long>()) > 14 * 60))
    return FieldProblem{"utc_offset_minutes", "must be between -840 and 840"};
  if (std::string zone = tenantTimeZone(s); !zone.empty()) {
    std::string problem = timeZoneProblem(zone);
    if (!problem.empty())
      return FieldProblem{"time_zone", problem};
  }
  if (s.contains("faq_threshold") &&
      (!s["faq_threshold"].is_number_integer() || s["faq_threshold"].get<long long>() < 0 ||
       s["faq_threshold"].get<long long>() > 100))
    return FieldProblem{"faq_threshold", "must be a whole number from 0 to 100 (percent)"};
  for (const char* text : {"ai_fallback_reply", "escalation_reply", "limit_reply"}) {
    if (s.contains(text) && s[text].is_string() && s[text].get<std::string>().size() > 4096)
      return FieldProblem{text, "must be at most 4096 characters (WhatsApp's limit)"};
  }
  for (const char* text : {"escalation_keywords", "escalation_template"}) {
    if (s.contains(text) && s[text].is_string() && s[text].get<std::string>().size() > 1000)
      return FieldProblem{text, "must be at most 1000 characters"};
  }
  for (const char* n : {"debounce_seconds", "human_takeover_minutes", "escalation_after_unanswered",
                        "escalation_pause_minutes"}) {
    if (s.contains(n) &&
        (!s[n].is_number_integer() || s[n].get<long long>() < 0 || s[n].get<long long>() > 100000))
      return FieldProblem{n, "must be a whole number from 0 to 100000"};
  }
  if (s.contains("business_hours") && s["business_hours"].is_string()) {
    std::string problem;
    if (!parseBusinessHours(s["business_hours"].get<std::string>(), problem) && !problem.empty())
      return FieldProblem{"business_hours", problem};
  }
  if (s.contains("strategies") && s["strategies"].is_string()) {
    static const std::regex names("^ *([a-z0-9_]+ *(, *[a-z0-9_]+ *)*)?$");
    if (!std::regex_match(s["strategies"].get<std::string>(), names))
      return FieldProblem{"strategies", "a comma-separated list of strategy plugin names"};
  }
  return std::nullopt;
}

}  // namespace baraza
