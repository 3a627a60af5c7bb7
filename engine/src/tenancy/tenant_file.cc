#include "tenancy/tenant_file.h"

#include <set>

#include <yaml-cpp/yaml.h>

#include "tenancy/tenant_rules.h"

namespace baraza {
namespace {

YAML::Node loadFile(const std::string& file) {
  try {
    return YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw ConfigError(file + ": cannot open tenant file");
  } catch (const YAML::ParserException& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) +
                      ": YAML syntax error: " + e.msg);
  }
}

[[noreturn]] void fail(const std::string& file, const YAML::Node& node, const std::string& key,
                       const std::string& problem) {
  std::string where = file;
  if (node.IsDefined() && !node.Mark().is_null()) {
    where += ":" + std::to_string(node.Mark().line + 1);
  }
  throw ConfigError(where + ": " + key + ": " + problem);
}

YAML::Node item(const YAML::Node& root, const char* list, size_t i) {
  YAML::Node l = root[list];
  return l.IsSequence() && i < l.size() ? l[i] : root;
}

}  // namespace

const Schema& tenantSchema() {
  static const Schema schema = {
      {"slug", KeyType::kString, std::nullopt,
       "Unique name of the tenant: [a-z0-9-], used in admin URLs."},
      {"name", KeyType::kString, std::nullopt, "The business's name."},
      {"active", KeyType::kBool, "true", "An inactive tenant's messages are stored, not answered."},
      {"organization", KeyType::kString, std::nullopt,
       "Slug of the organization owning this tenant (created if missing)."},
      {"organization_name", KeyType::kString, std::nullopt,
       "The organization's name, when it is created."},
      {"channels", KeyType::kObjectList, std::nullopt, "The tenant's numbers."},
      {"channels[].type", KeyType::kString, "whatsapp", "The channel: whatsapp."},
      {"channels[].phone_number_id", KeyType::kString, std::nullopt,
       "Meta's phone number id: routes webhooks to this tenant; unique on the server."},
      {"channels[].display_phone_number", KeyType::kString, std::nullopt,
       "The number as people dial it."},
      {"channels[].waba_id", KeyType::kString, std::nullopt, "The WhatsApp Business Account id."},
      {"channels[].app", KeyType::kString, std::nullopt,
       "The Meta app (channels.whatsapp.apps[].name) whose webhooks may deliver for this number; "
       "absent: the app serving the bare /webhook/whatsapp path."},
      {"channels[].access_token", KeyType::kSecret, std::nullopt,
       "The Graph API token; sealed on import, never printed again."},
      {"channels[].verify_token", KeyType::kSecret, std::nullopt,
       "The tenant's own webhook verify token (optional)."},
      {"channels[].token_expires_at", KeyType::kString, std::nullopt,
       "When the access token expires (ISO 8601), for expiry alerts."},
      {"settings.bot_enabled", KeyType::kBool, "true", "Answer at all."},
      {"settings.auto_reply", KeyType::kBool, "true", "Answer automatically."},
      {"settings.ai_responses", KeyType::kBool, "true",
       "Use the AI provider chain (else FAQ and static replies only)."},
      {"settings.payment_flow", KeyType::kBool, "false", "Enable payment collection."},
      {"settings.training_mode", KeyType::kBool, "false", "Record user feedback."},
      {"settings.log_conversations", KeyType::kBool, "true", "Store full conversation logs."},
      {"settings.log_errors", KeyType::kBool, "true", "Store error logs."},
      {"settings.max_messages_per_hour", KeyType::kInt, "100",
       "Replies per clock hour (UTC) for the whole tenant (0: no limit)."},
      {"settings.max_messages_per_user_per_day", KeyType::kInt, "50",
       "Messages per contact per day the bot answers (0: no limit)."},
      {"settings.daily_message_quota", KeyType::kInt, "0",
       "Replies per day for the whole tenant (0: no quota)."},
      {"settings.monthly_message_quota", KeyType::kInt, "0",
       "Replies per calendar month (UTC) for the whole tenant (0: no quota)."},
      {"settings.daily_ai_call_quota", KeyType::kInt, "0",
       "AI answers per day; past it the AI chain is skipped (0: no quota)."},
      {"settings.daily_token_quota", KeyType::kInt, "0",
       "AI tokens per day; past it the AI chain is skipped (0: no quota)."},
      {"settings.limit_reply", KeyType::kString, std::nullopt,
       "Sent once per contact and period when a limit or quota stops the bot; empty: silence."},
      {"settings.escalation_phone", KeyType::kString, std::nullopt,
       "Number a human is reached at."},
      {"settings.escalation_email", KeyType::kString, std::nullopt, "Address escalations go to."},
      {"settings.static_reply", KeyType::kString, std::nullopt,
       "The reply when nothing better answers."},
      {"settings.after_hours_reply", KeyType::kString, std::nullopt,
       "The static reply outside business_hours (the static_reply strategy)."},
      {"settings.business_hours", KeyType::kString, std::nullopt,
       "When the business is open, in local time: \"mon-fri 08:00-18:00, sat 09:00-13:00\"; "
       "empty: always."},
      {"settings.utc_offset_minutes", KeyType::kInt, "0",
       "Local time's offset from UTC, for business_hours (Nairobi: 180), when no time_zone is "
       "set."},
      {"settings.time_zone", KeyType::kString, std::nullopt,
       "IANA time zone of business_hours, daylight saving included (\"Africa/Nairobi\", "
       "\"Europe/London\"); overrides utc_offset_minutes."},
      {"settings.reengagement_template", KeyType::kString, std::nullopt,
       "Approved template sent instead of a reply once the 24-hour window has closed; empty: "
       "the reply is marked blocked_by_window."},
      {"settings.reengagement_language", KeyType::kString, std::nullopt,
       "The template's language code (default en)."},
      {"settings.mark_as_read", KeyType::kBool, "false",
       "Send a read receipt for each inbound message when it is processed."},
      {"settings.debounce_seconds", KeyType::kInt, "0",
       "One answer for a contact's messages within N seconds (0: off)."},
      {"settings.human_takeover_minutes", KeyType::kInt, "60",
       "A conversation assigned to a human keeps the bot silent this long (0: until released)."},
      {"settings.strategies", KeyType::kString, "escalation,faq,ai_chain,static_reply",
       "The strategy plugins asked for an answer, in order (docs/answers.md)."},
      {"settings.faq_threshold", KeyType::kInt, "0",
       "Lowest FAQ match score (percent) that answers; 0: the faq plugin's threshold."},
      {"settings.ai_fallback_reply", KeyType::kString, std::nullopt,
       "Sent when every AI provider fails (an escalation follows); empty: static_reply."},
      {"settings.escalation_keywords", KeyType::kString, std::nullopt,
       "Comma-separated words that hand the contact to a person; empty: the escalation "
       "plugin's list."},
      {"settings.escalation_after_unanswered", KeyType::kInt, "3",
       "Escalate after this many questions in a row got no answer (0: never)."},
      {"settings.escalation_pause_minutes", KeyType::kInt, "60",
       "The bot stays silent in an escalated conversation until its action is resolved or "
       "this long (0: until resolved)."},
      {"settings.escalation_template", KeyType::kString, std::nullopt,
       "Approved template that notifies escalation_phone outside its 24-hour window (body "
       "parameters: contact, reason)."},
      {"settings.escalation_reply", KeyType::kString, std::nullopt,
       "What the contact is told when handed to a person; empty: the escalation plugin's."},
      {"templates", KeyType::kObjectList, std::nullopt,
       "Prompt templates (seed 001's bot_templates)."},
      {"templates[].name", KeyType::kString, std::nullopt, "Unique within the tenant."},
      {"templates[].system_prompt", KeyType::kString, std::nullopt, "Instructions for the AI."},
      {"templates[].tone", KeyType::kString, std::nullopt, "friendly, professional, playful, ..."},
      {"templates[].max_response_length", KeyType::kInt, std::nullopt,
       "Character limit of answers."},
      {"templates[].default", KeyType::kBool, "false",
       "Used when no other template is chosen; at most one."},
      {"templates[].active", KeyType::kBool, "true", "Inactive templates are kept but not used."},
      {"faq", KeyType::kObjectList, std::nullopt, "Knowledge (seed 001's bot_training_data)."},
      {"faq[].type", KeyType::kString, "faq", "faq, canned_reply, example or rule."},
      {"faq[].question", KeyType::kString, std::nullopt, "The question or pattern."},
      {"faq[].answer", KeyType::kString, std::nullopt, "The answer."},
      {"faq[].keywords", KeyType::kStringList, std::nullopt, "Words that point to this entry."},
      {"faq[].priority", KeyType::kInt, "5", "1-10, higher matches first."},
      {"faq[].category", KeyType::kString, "general", "general, billing, products, ..."},
      {"faq[].active", KeyType::kBool, "true", "Inactive entries are kept but not matched."},
      {"ai_providers", KeyType::kObjectList, std::nullopt,
       "The tenant's AI providers in the order they are tried (docs/answers.md); absent: "
       "strategies.ai_chain.providers with their shared keys."},
      {"ai_providers[].name", KeyType::kString, std::nullopt,
       "A provider of strategies.ai_chain.providers (openai, openrouter, huggingface)."},
      {"ai_providers[].model", KeyType::kString, std::nullopt,
       "The model; absent: the provider's configured model."},
      {"ai_providers[].api_key", KeyType::kSecret, std::nullopt,
       "The tenant's own key, sealed on import; absent: the shared key from the config."},
      {"script", KeyType::kString, std::nullopt, "The tenant's Lua script, relative to this file."},
  };
  return schema;
}

TenantSpec readTenantFile(const std::string& file) {
  YAML::Node root = loadFile(file);
  std::vector<std::string> warnings;
  nlohmann::json v = applySchema(tenantSchema(), root, {file, "", false}, warnings);
  for (const auto& w : warnings)
    throw ConfigError(w);  // a tenant file must be complete
  TenantSpec t;
  t.file = file;
  t.slug = v.value("slug", "");
  if (t.slug.empty())
    fail(file, root, "slug", "is required");
  if (!isSlug(t.slug)) {
    fail(file, root["slug"], "slug", "must be 1-63 characters of [a-z0-9-], not starting with -");
  }
  t.name = v.value("name", "");
  if (t.name.empty())
    fail(file, root, "name", "is required");
  t.active = v["active"];
  t.organization = v.value("organization", "");
  t.organization_name = v.value("organization_name", "");
  if (!t.organization.empty() && !isSlug(t.organization)) {
    fail(file, root["organization"], "organization", "must be a slug of [a-z0-9-]");
  }
  // Each item's rules are shared with the admin API (tenant_rules.h); here they gain a line.
  auto check = [&](const FieldCheck& problem, const char* list, size_t i) {
    if (problem) {
      std::string key = std::string(list) + "[" + std::to_string(i) + "]." + problem->field;
      fail(file, item(root, list, i), key, problem->problem);
    }
  };
  for (size_t i = 0; i < v["channels"].size(); ++i) {
    const auto& c = v["channels"][i];
    ChannelSpec ch{c.value("type", "whatsapp"),         c.value("phone_number_id", ""),
                   c.value("display_phone_number", ""), c.value("waba_id", ""),
                   c.value("access_token", ""),         c.value("verify_token", ""),
                   c.value("token_expires_at", ""),     c.value("app", "")};
    auto problem = checkChannel(ch);
    if (problem && problem->field == "access_token" && ch.access_token.empty())
      problem->problem += " (as access_token, _env or _file)";
    check(problem, "channels", i);
    for (const auto& other : t.channels) {
      if (other.phone_number_id == ch.phone_number_id)
        check(FieldProblem{"phone_number_id", "is listed twice"}, "channels", i);
    }
    t.channels.push_back(ch);
  }
  t.settings = v["settings"];
  if (auto problem = checkSettings(t.settings)) {
    fail(file, root["settings"][problem->field], "settings." + problem->field, problem->problem);
  }
  std::set<std::string> names;
  int defaults = 0;
  for (size_t i = 0; i < v["templates"].size(); ++i) {
    const auto& tp = v["templates"][i];
    TemplateSpec s{tp.value("name", ""),       tp.value("system_prompt", ""),
                   tp.value("tone", ""),       tp.value("max_response_length", 0LL),
                   tp.value("default", false), tp.value("active", true)};
    check(checkTemplate(s), "templates", i);
    if (!names.insert(s.name).second)
      check(FieldProblem{"name", "is used twice"}, "templates", i);
    defaults += s.is_default;
    if (defaults > 1)
      check(FieldProblem{"default", "only one template may be the default"}, "templates", i);
    t.templates.push_back(s);
  }
  for (size_t i = 0; i < v["faq"].size(); ++i) {
    const auto& f = v["faq"][i];
    KnowledgeSpec k{f.value("type", "faq"),         f.value("question", ""),
                    f.value("answer", ""),          f.value("keywords", std::vector<std::string>{}),
                    f.value("category", "general"), f.value("priority", 5LL),
                    f.value("active", true)};
    check(checkKnowledge(k), "faq", i);
    t.knowledge.push_back(k);
  }
  std::set<std::string> providers;
  for (size_t i = 0; i < v["ai_providers"].size(); ++i) {
    const auto& p = v["ai_providers"][i];
    AiProviderSpec a{p.value("name", ""), p.value("model", ""), p.value("api_key", "")};
    if (!isProviderName(a.name))
      check(FieldProblem{"name", "must be 1-32 characters of [a-z0-9_]"}, "ai_providers", i);
    if (!providers.insert(a.name).second)
      check(FieldProblem{"name", "is listed twice"}, "ai_providers", i);
    if (a.model.size() > 200)
      check(FieldProblem{"model", "must be at most 200 characters"}, "ai_providers", i);
    t.ai_providers.push_back(a);
  }
  t.script = v.value("script", "");
  return t;
}

}  // namespace baraza
