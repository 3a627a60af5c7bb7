#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace baraza::escalation {

struct EscalationConfig {
  std::vector<std::string> keywords;  // lower case; a phrase matches as whole words
  std::string reply;                  // what the contact is told
};

EscalationConfig defaultConfig();

// Splits a comma-separated keyword list, lower-cased and trimmed.
std::vector<std::string> keywordList(const std::string& text);

// The keyword of `keywords` the text contains as whole words, or "".
std::string keywordIn(const std::string& text, const std::vector<std::string>& keywords);

// The escalation strategy (docs/answers.md): answers with the hand-over text and an escalation
// when the contact asks for a person (settings.escalation_keywords, else the configured list)
// or when the contact's last settings.escalation_after_unanswered questions got no answer;
// otherwise passes. (Limits are the engine's: past one no strategy runs, docs/limits.md.)
std::optional<nlohmann::json> decide(const EscalationConfig& config, const nlohmann::json& input);

}  // namespace baraza::escalation
