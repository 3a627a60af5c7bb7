#include <optional>

#include "static_reply.h"

namespace baraza::static_reply {

std::optional<nlohmann::json> decide(const nlohmann::json& input) {
  const auto& tenant = input.value("tenant", nlohmann::json::object());
  const auto& settings = tenant.value("settings", nlohmann::json::object());
  std::string text = settings.value("static_reply", std::string());
  bool open = tenant.value("open_now", true);
  std::string after_hours = settings.value("after_hours_reply", std::string());
  bool closed_variant = !open && !after_hours.empty();
  if (closed_variant)
    text = after_hours;
  if (text.empty())
    return std::nullopt;
  // A fixed text is not an answer to the question: recorded as a fallback, so repeated
  // questions it met still count as unanswered (docs/answers.md).
  return nlohmann::json{{"reply", {{"kind", "text"}, {"text", text}}},
                        {"variant", closed_variant ? "after_hours" : "default"},
                        {"fallback", true}};
}

}  // namespace baraza::static_reply
