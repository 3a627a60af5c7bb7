#include "pipeline/inbound_event.h"

#include <cstdlib>

#include <rapidjson/document.h>

namespace baraza {

using nlohmann::json;

namespace {

using Value = rapidjson::Value;

const Value& member(const Value& object, const char* name) {
  static const Value none(rapidjson::kNullType);
  if (!object.IsObject())
    return none;
  auto it = object.FindMember(name);
  return it != object.MemberEnd() ? it->value : none;
}

std::string text(const Value& object, const char* name) {
  const Value& v = member(object, name);
  return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

// The text a person wrote: text body, media caption, button or list reply title.
std::string messageText(const Value& e) {
  std::string out = text(e, "text");
  if (out.empty())
    out = text(member(e, "media"), "caption");
  if (out.empty())
    out = text(member(e, "interactive"), "title");
  if (out.empty())
    out = text(member(e, "button"), "text");
  return out;
}

Sender senderOf(const Value& from) {
  return {text(from, "wa_id"), text(from, "phone"), text(from, "user_id"), text(from, "username"),
          text(from, "profile_name")};
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
  rapidjson::Document d;
  d.Parse(from.dump().c_str());
  return senderOf(d);
}

const json& InboundEvent::tree() const {
  if (!tree_) {
    auto parsed = json::parse(payload, nullptr, false);
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
  e.channel = text(d, "channel");
  e.app = text(d, "app");
  if (const Value& flag = member(d, "app_default"); flag.IsBool())
    e.app_default = flag.GetBool();
  if (e.kind.empty())
    e.kind = text(d, "kind");
  const Value& account = member(d, "account");
  if (e.account_id.empty())
    e.account_id = text(account, "phone_number_id");
  e.display_number = text(account, "display_phone_number");
  e.id = text(d, "id");
  e.timestamp_s = timestampOf(member(d, "timestamp"));
  if (e.isMessage()) {
    e.from = senderOf(member(d, "from"));
    e.type = text(d, "type");
    if (e.type.empty())
      e.type = "unknown";
    e.text = messageText(d);
  } else if (e.isStatus()) {
    e.status = text(d, "status");
  }
  return std::nullopt;
}

}  // namespace baraza
