#include <optional>

#include "static_reply.h"

namespace baraza::static_reply {

std::optional<nlohmann::json> decide(const plugin::Input& input) {
  std::string text = input.text({"tenant", "settings", "static_reply"});
  bool open = input.boolean({"tenant", "open_now"}).value_or(true);
  std::string after_hours = input.text({"tenant", "settings", "after_hours_reply"});
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
