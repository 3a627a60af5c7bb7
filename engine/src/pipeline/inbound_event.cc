#include "pipeline/inbound_event.h"

#include <cstdlib>

#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "core/json_fields.h"

namespace baraza {

using nlohmann::json;

namespace {

using Value = rapidjson::Value;

// The text a person wrote: text body, media caption, button or list reply title.
std::string messageText(const Value& e) {
  std::string out = jsonString(e, "text");
  if (out.empty())
    out = jsonString(jsonMember(e, "media"), "caption");
  if (out.empty())
    out = jsonString(jsonMember(e, "interactive"), "title");
  if (out.empty())
    out = jsonString(jsonMember(e, "button"), "text");
  return out;
}

Sender senderOf(const Value& from) {
  return {jsonString(from, "wa_id"), jsonString(from, "phone"), jsonString(from, "user_id"),
          jsonString(from, "username"), jsonString(from, "profile_name")};
}

long long timestampOf(const Value& t) {
  long long s = 0;
  if (t.IsInt64())
    s = t.GetInt64();
  else if (t.IsString())
    s = std::atoll(t.GetString());
  return s < 0 ? 0 : s;
}

}  // namespace

std::string jsonText(const json& object, const char* name) {
  if (!object.is_object())
    return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Sender senderFrom(const json& from) {
  return {jsonText(from, "wa_id"), jsonText(from, "phone"), jsonText(from, "user_id"),
          jsonText(from, "username"), jsonText(from, "profile_name")};
}

const json& InboundEvent::tree() const {
  if (!tree_) {
    auto parsed = json::parse(payload, nullptr, false);
    if (!parsed.is_object())  // the intake wrote it; a row written by hand may not parse
      spdlog::warn("inbox event {}: its payload does not parse as a JSON object", inbox_id);
    tree_ = std::make_shared<const json>(parsed.is_object() ? std::move(parsed) : json::object());
  }
  return *tree_;
}

// Read with RapidJSON, and the nlohmann tree left until something asks for it: a message
// without a script, a lead or a debounce never needs it, and building it was most of what a
// claimed event cost before its steps (bench/README.md).
std::optional<Failure> parsePayload(InboundEvent& e) {
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(e.payload.data(),
                                                                                  e.payload.size());
  if (d.HasParseError() || !d.IsObject())
    return Failure::retry("the stored event is not a JSON object");
  e.tree_.reset();
  e.channel = jsonString(d, "channel");
  e.app = jsonString(d, "app");
  if (const Value& flag = jsonMember(d, "app_default"); flag.IsBool())
    e.app_default = flag.GetBool();
  if (e.kind.empty())
    e.kind = jsonString(d, "kind");
  const Value& account = jsonMember(d, "account");
  if (e.account_id.empty())
    e.account_id = jsonString(account, "phone_number_id");
  e.display_number = jsonString(account, "display_phone_number");
  e.id = jsonString(d, "id");
  e.timestamp_s = timestampOf(jsonMember(d, "timestamp"));
  if (e.isMessage()) {
    e.from = senderOf(jsonMember(d, "from"));
    e.type = jsonString(d, "type");
    if (e.type.empty())
      e.type = "unknown";
    e.text = messageText(d);
  } else if (e.isStatus()) {
    e.status = jsonString(d, "status");
  }
  return std::nullopt;
}

}  // namespace baraza
