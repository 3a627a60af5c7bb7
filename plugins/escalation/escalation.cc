#include "escalation.h"

#include <cctype>

#include "plugin_json.h"

namespace baraza::escalation {
namespace {

using nlohmann::json;

using plugin::stringField;

// Lower-case words separated by single spaces, with a space at each end.
std::string words(const std::string& text) {
  std::string out = " ";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80)
      out.push_back(static_cast<char>(std::tolower(c)));
    else if (out.back() != ' ')
      out.push_back(' ');
  }
  if (out.back() != ' ')
    out.push_back(' ');
  return out;
}

}  // namespace

EscalationConfig defaultConfig() {
  return {keywordList("agent,human,person,representative,operator,manager,customer care,"
                      "real person,mtu,mhudumu,binadamu"),
          "Thank you. A member of our team will get back to you shortly."};
}

std::vector<std::string> keywordList(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string w = words(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (w.size() > 2)
      out.push_back(w.substr(1, w.size() - 2));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return out;
}

std::string keywordIn(const std::string& text, const std::vector<std::string>& keywords) {
  std::string haystack = words(text);
  for (const auto& k : keywords) {
    if (haystack.find(" " + k + " ") != std::string::npos)
      return k;
  }
  return "";
}

std::optional<json> decide(const EscalationConfig& config, const json& input) {
  const json& tenant = input.contains("tenant") ? input["tenant"] : json::object();
  const json& settings = tenant.contains("settings") ? tenant["settings"] : json::object();
  const json& message = input.contains("message") ? input["message"] : json::object();
  const json& conversation = input.contains("conversation") ? input["conversation"] : json();
  std::string reason, priority = "medium", source;

  std::string own = stringField(settings, "escalation_keywords");
  std::string keyword =
      keywordIn(stringField(message, "text"), own.empty() ? config.keywords : keywordList(own));
  long long after = settings.value("escalation_after_unanswered", 0LL);
  long long streak = conversation.is_object() ? conversation.value("unanswered_streak", 0LL) : 0;
  if (!keyword.empty()) {
    reason = "asked for a person (\"" + keyword + "\")";
    priority = "high";
    source = "keyword";
  } else if (after > 0 && streak >= after) {
    reason = std::to_string(streak) + " questions in a row got no answer";
    source = "unanswered";
  } else {
    return std::nullopt;
  }
  std::string reply = stringField(settings, "escalation_reply");
  if (reply.empty())
    reply = config.reply;
  return json{{"reply", {{"kind", "text"}, {"text", reply}}},
              {"escalate", {{"reason", reason}, {"priority", priority}, {"source", source}}}};
}

}  // namespace baraza::escalation
