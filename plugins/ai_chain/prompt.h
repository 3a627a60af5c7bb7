#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace baraza::ai {

// WhatsApp's limit on a text message body, in characters.
constexpr size_t kWhatsAppTextLimit = 4096;

// The chat-completions messages for one strategy input (docs/answers.md, "The prompt"): the
// tenant's default template (system prompt, tone, max length) with the best FAQ entries of
// hints.faq as grounding, the conversation's last `history` messages, then the customer's.
nlohmann::json promptMessages(const nlohmann::json& input, size_t history);

// The answer cut to `max_chars` characters (UTF-8 code points), at a sentence or word end when
// one is near, with an ellipsis when cut; whitespace trimmed.
std::string trimAnswer(const std::string& text, size_t max_chars);

}  // namespace baraza::ai
