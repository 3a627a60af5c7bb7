#include "pipeline/inbound_event.h"

#include <cstdlib>

namespace baraza {

using nlohmann::json;

std::string jsonText(const json& object, const char* name) {
  if (!object.is_object())
    return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string messageText(const json& e) {
  std::string text = jsonText(e, "text");
  if (text.empty() && e.contains("media"))
    text = jsonText(e["media"], "caption");
  if (text.empty() && e.contains("interactive"))
    text = jsonText(e["interactive"], "title");
  if (text.empty() && e.contains("button"))
    text = jsonText(e["button"], "text");
  return text;
}

Sender senderFrom(const json& from) {
  return {jsonText(from, "wa_id"), jsonText(from, "phone"), jsonText(from, "user_id"),
          jsonText(from, "username"), jsonText(from, "profile_name")};
}

std::optional<Failure> parsePayload(InboundEvent& e) {
  e.raw = json::parse(e.payload, nullptr, false);
  if (!e.raw.is_object())
    return Failure::retry("the stored event is not a JSON object");
  e.channel = jsonText(e.raw, "channel");
  e.app = jsonText(e.raw, "app");
  if (auto d = e.raw.find("app_default"); d != e.raw.end() && d->is_boolean())
    e.app_default = d->get<bool>();
  if (e.kind.empty())
    e.kind = jsonText(e.raw, "kind");
  const json& account = e.raw.contains("account") ? e.raw["account"] : json();
  if (e.account_id.empty())
    e.account_id = jsonText(account, "phone_number_id");
  e.display_number = jsonText(account, "display_phone_number");
  e.id = jsonText(e.raw, "id");
  if (auto t = e.raw.find("timestamp"); t != e.raw.end()) {
    if (t->is_number_integer())
      e.timestamp_s = t->get<long long>();
    else if (t->is_string())
      e.timestamp_s = std::atoll(t->get<std::string>().c_str());
  }
  if (e.timestamp_s < 0)
    e.timestamp_s = 0;
  if (e.isMessage()) {
    e.from = senderFrom(e.raw.contains("from") ? e.raw["from"] : json());
    e.type = jsonText(e.raw, "type");
    if (e.type.empty())
      e.type = "unknown";
    e.text = messageText(e.raw);
  } else if (e.isStatus()) {
    e.status = jsonText(e.raw, "status");
  }
  return std::nullopt;
}

}  // namespace baraza
