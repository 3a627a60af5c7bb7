#include "prompt.h"

#include <algorithm>

#include "plugin_json.h"

namespace baraza::ai {
namespace {

using nlohmann::json;

using plugin::stringField;

// Byte offsets where each code point starts.
std::vector<size_t> codePoints(const std::string& s) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      starts.push_back(i);
  }
  return starts;
}

}  // namespace

json promptMessages(const json& input, size_t history) {
  const json& tenant = input.contains("tenant") ? input["tenant"] : json::object();
  const json& tmpl = tenant.contains("template") ? tenant["template"] : json();
  std::string system = stringField(tmpl, "system_prompt");
  if (system.empty())
    system = "You are the helpful assistant of " + stringField(tenant, "name") +
             " on WhatsApp. Answer briefly and politely; when unsure, say a person will follow up.";
  if (std::string tone = stringField(tmpl, "tone"); !tone.empty())
    system += "\nTone: " + tone + ".";
  long long max_len = tmpl.is_object() ? tmpl.value("max_response_length", 0LL) : 0;
  if (max_len > 0)
    system += "\nKeep every answer under " + std::to_string(max_len) + " characters.";
  if (input.contains("hints") && input["hints"].contains("faq")) {
    const json& candidates = input["hints"]["faq"].value("candidates", json::array());
    if (candidates.is_array() && !candidates.empty()) {
      system += "\nFacts from the business's FAQ; use them when they answer the question:";
      for (const auto& c : candidates)
        system += "\nQ: " + stringField(c, "question") + "\nA: " + stringField(c, "answer");
    }
  }
  json messages = json::array({{{"role", "system"}, {"content", system}}});
  const json& conversation = input.contains("conversation") ? input["conversation"] : json();
  if (conversation.is_object() && conversation.contains("messages") &&
      conversation["messages"].is_array()) {
    const json& past = conversation["messages"];
    size_t from = past.size() > history ? past.size() - history : 0;
    for (size_t i = from; i < past.size(); ++i) {
      std::string role = stringField(past[i], "role") == "assistant" ? "assistant" : "user";
      std::string text = stringField(past[i], "text");
      if (!text.empty())
        messages.push_back({{"role", role}, {"content", text}});
    }
  }
  const json& message = input.contains("message") ? input["message"] : json();
  messages.push_back({{"role", "user"}, {"content", stringField(message, "text")}});
  return messages;
}

std::string trimAnswer(const std::string& text, size_t max_chars) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return "";
  size_t last = text.find_last_not_of(" \t\r\n");
  std::string s = text.substr(first, last - first + 1);
  auto starts = codePoints(s);
  if (max_chars == 0 || starts.size() <= max_chars)
    return s;
  // Room for the ellipsis (one character).
  size_t cut = starts[max_chars - 1];
  std::string head = s.substr(0, cut);
  size_t sentence = head.find_last_of(".!?\n");
  size_t space = head.find_last_of(' ');
  if (sentence != std::string::npos && sentence + 1 >= head.size() / 2)
    return head.substr(0, sentence + 1);
  if (space != std::string::npos && space >= head.size() / 2)
    head.resize(space);
  while (!head.empty() && (head.back() == ' ' || head.back() == ',' || head.back() == ';'))
    head.pop_back();
  return head + "\xE2\x80\xA6";  // …
}

}  // namespace baraza::ai
