#include "webhook_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace baraza::whatsapp {
namespace {

using json = nlohmann::json;
using Value = rapidjson::Value;

// Payloads are read with RapidJSON (about 5x faster than nlohmann's lexer here) and events are
// written as nlohmann::json. Field access never throws, whatever shape untrusted input has.
const Value* field(const Value& obj, const char* key) {
  if (!obj.IsObject())
    return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// A string field; numbers are accepted and written out as text (ids and timestamps are strings
// in Meta's payloads, but a number there must not lose the event).
std::string text(const Value& obj, const char* key) {
  const Value* v = field(obj, key);
  if (!v)
    return "";
  if (v->IsString())
    return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64())
    return std::to_string(v->GetInt64());
  if (v->IsUint64())
    return std::to_string(v->GetUint64());
  return "";
}

const Value& object(const Value& obj, const char* key) {
  static const Value empty(rapidjson::kObjectType);
  const Value* v = field(obj, key);
  return v && v->IsObject() ? *v : empty;
}

const Value& array(const Value& obj, const char* key) {
  static const Value empty(rapidjson::kArrayType);
  const Value* v = field(obj, key);
  return v && v->IsArray() ? *v : empty;
}

// Copies the string fields `keys` of `src` that are present into a new object.
json pick(const Value& src, std::initializer_list<const char*> keys) {
  json out = json::object();
  for (const char* k : keys) {
    std::string v = text(src, k);
    if (!v.empty())
      out[k] = v;
  }
  return out;
}

long long epochSeconds(const std::string& s) {
  long long v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool flag(const Value& obj, const char* key) {
  const Value* v = field(obj, key);
  return v && v->IsBool() && v->GetBool();
}

// Passes a sub-document through (contacts, referral, order items). Nesting past kMaxDepth is
// cut to null: Meta's shapes are shallow, and hostile depth must not exhaust the stack.
constexpr int kMaxDepth = 16;
json convert(const Value& v, int depth = 0) {
  if (depth > kMaxDepth)
    return nullptr;
  if (v.IsString())
    return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool())
    return v.GetBool();
  if (v.IsInt64())
    return v.GetInt64();
  if (v.IsUint64())
    return v.GetUint64();
  if (v.IsNumber())
    return v.GetDouble();
  if (v.IsArray()) {
    json out = json::array();
    for (const auto& item : v.GetArray())
      out.push_back(convert(item, depth + 1));
    return out;
  }
  if (v.IsObject()) {
    json out = json::object();
    for (const auto& m : v.GetObject()) {
      out[std::string(m.name.GetString(), m.name.GetStringLength())] = convert(m.value, depth + 1);
    }
    return out;
  }
  return nullptr;
}

json errors(const Value& list) {
  json out = json::array();
  if (!list.IsArray())
    return out;
  for (const auto& e : list.GetArray()) {
    if (!e.IsObject())
      continue;
    json n = pick(e, {"title", "message", "href"});
    const Value* code = field(e, "code");
    n["code"] = code && code->IsInt64() ? code->GetInt64() : epochSeconds(text(e, "code"));
    std::string details = text(object(e, "error_data"), "details");
    if (!details.empty())
      n["details"] = details;
    out.push_back(n);
  }
  return out;
}

// The contacts[] entry describing the sender of `msg`: matched on wa_id or business-scoped
// user id; the only one when there is just one.
const Value& senderContact(const Value& contacts, const Value& msg) {
  static const Value none(rapidjson::kObjectType);
  if (!contacts.IsArray())
    return none;
  std::string from = text(msg, "from");
  std::string user = text(msg, "from_user_id");
  for (const auto& c : contacts.GetArray()) {
    if (!from.empty() && text(c, "wa_id") == from)
      return c;
    if (!user.empty() && text(c, "user_id") == user)
      return c;
  }
  return contacts.Size() == 1 && contacts[0].IsObject() ? contacts[0] : none;
}

json sender(const Value& contact, const Value& msg) {
  json from = json::object();
  std::string wa_id = text(contact, "wa_id");
  if (wa_id.empty())
    wa_id = text(msg, "from");
  if (!wa_id.empty()) {
    from["wa_id"] = wa_id;
    from["phone"] = wa_id;  // a wa_id is the sender's number in international form
  }
  std::string user_id = text(contact, "user_id");
  if (user_id.empty())
    user_id = text(msg, "from_user_id");
  if (!user_id.empty())
    from["user_id"] = user_id;
  std::string parent = text(contact, "parent_user_id");
  if (parent.empty())
    parent = text(msg, "from_parent_user_id");
  if (!parent.empty())
    from["parent_user_id"] = parent;
  const Value& profile = object(contact, "profile");
  std::string name = text(profile, "name");
  if (!name.empty())
    from["profile_name"] = name;
  std::string username = text(profile, "username");
  if (!username.empty())
    from["username"] = username;
  return from;
}

void addMedia(const Value& msg, const std::string& type, json& event) {
  const Value& m = object(msg, type.c_str());
  json media = pick(m, {"id", "mime_type", "sha256", "caption", "filename", "url"});
  if (type == "audio")
    media["voice"] = flag(m, "voice");
  if (type == "sticker")
    media["animated"] = flag(m, "animated");
  if (media.contains("caption"))
    event["text"] = media["caption"];
  event["media"] = media;
}

void addInteractive(const Value& msg, json& event) {
  const Value& i = object(msg, "interactive");
  std::string kind = text(i, "type");
  json out{{"type", kind}};
  if (kind == "button_reply" || kind == "list_reply") {
    const Value& reply = object(i, kind.c_str());
    out.update(pick(reply, {"id", "title", "description"}));
    if (out.contains("title"))
      event["text"] = out["title"];
  } else if (kind == "nfm_reply") {  // a completed WhatsApp Flow
    const Value& reply = object(i, "nfm_reply");
    out.update(pick(reply, {"name", "body"}));
    // Parsed like the payload itself (iteratively, depth cut by convert()): a hostile
    // response_json must not recurse the stack away.
    std::string raw = text(reply, "response_json");
    rapidjson::Document parsed;
    parsed.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
        raw.data(), raw.size());
    out["response"] = parsed.HasParseError() ? json(raw) : convert(parsed);
  }
  event["interactive"] = out;
}

void addContent(const Value& msg, const std::string& type, json& event) {
  if (type == "text") {
    event["text"] = text(object(msg, "text"), "body");
  } else if (type == "image" || type == "video" || type == "document" || type == "sticker" ||
             type == "audio") {
    addMedia(msg, type, event);
  } else if (type == "location") {
    const Value& l = object(msg, "location");
    json loc = pick(l, {"name", "address", "url"});
    for (const char* k : {"latitude", "longitude"}) {
      const Value* v = field(l, k);
      if (v && v->IsNumber())
        loc[k] = v->GetDouble();
    }
    event["location"] = loc;
  } else if (type == "contacts") {
    event["contacts"] = convert(array(msg, "contacts"));
  } else if (type == "interactive") {
    addInteractive(msg, event);
  } else if (type == "button") {
    event["button"] = pick(object(msg, "button"), {"payload", "text"});
    std::string t = text(object(msg, "button"), "text");
    if (!t.empty())
      event["text"] = t;
  } else if (type == "reaction") {
    json r = pick(object(msg, "reaction"), {"message_id", "emoji"});
    r["removed"] = !r.contains("emoji");  // an empty emoji is an un-reaction
    event["reaction"] = r;
  } else if (type == "order") {
    const Value& o = object(msg, "order");
    json order = pick(o, {"catalog_id", "text"});
    order["product_items"] = convert(array(o, "product_items"));
    event["order"] = order;
  } else if (type == "system") {
    event["system"] = pick(object(msg, "system"), {"body", "type", "wa_id", "customer"});
  }
}

json messageEvent(const Value& msg, const Value& contacts, const json& base) {
  json event = base;
  event["kind"] = "message";
  std::string id = text(msg, "id");
  event["id"] = id;
  event["dedupe_key"] = "message:" + id;
  event["timestamp"] = epochSeconds(text(msg, "timestamp"));
  event["from"] = sender(senderContact(contacts, msg), msg);
  std::string type = text(msg, "type");
  if (type.empty())
    type = "unknown";
  event["type"] = type;
  addContent(msg, type, event);
  if (const Value* ctx = field(msg, "context"); ctx && ctx->IsObject()) {
    json c = pick(*ctx, {"from", "id"});
    c["forwarded"] = flag(*ctx, "forwarded");
    c["frequently_forwarded"] = flag(*ctx, "frequently_forwarded");
    if (const Value* p = field(*ctx, "referred_product"); p && p->IsObject()) {
      c["referred_product"] = convert(*p);
    }
    event["context"] = c;
  }
  if (const Value* ref = field(msg, "referral"); ref && ref->IsObject()) {
    event["referral"] = convert(*ref);
  }
  json errs = errors(array(msg, "errors"));
  if (!errs.empty())
    event["errors"] = errs;
  return event;
}

json statusEvent(const Value& st, const json& base) {
  json event = base;
  event["kind"] = "status";
  std::string id = text(st, "id");
  std::string status = text(st, "status");
  event["id"] = id;
  event["status"] = status;
  event["dedupe_key"] = "status:" + id + ":" + status;
  event["timestamp"] = epochSeconds(text(st, "timestamp"));
  json recipient = json::object();
  std::string wa_id = text(st, "recipient_id");
  if (!wa_id.empty())
    recipient["wa_id"] = wa_id;
  std::string user_id = text(st, "recipient_user_id");
  if (!user_id.empty())
    recipient["user_id"] = user_id;
  event["recipient"] = recipient;
  if (const Value* c = field(st, "conversation"); c && c->IsObject()) {
    json conv = pick(*c, {"id", "expiration_timestamp"});
    std::string origin = text(object(*c, "origin"), "type");
    if (!origin.empty())
      conv["origin"] = origin;
    event["conversation"] = conv;
  }
  if (const Value* p = field(st, "pricing"); p && p->IsObject()) {
    json pricing = pick(*p, {"pricing_model", "category", "type"});
    pricing["billable"] = flag(*p, "billable");
    event["pricing"] = pricing;
  }
  std::string callback = text(st, "biz_opaque_callback_data");
  if (!callback.empty())
    event["biz_opaque_callback_data"] = callback;
  json errs = errors(array(st, "errors"));
  if (!errs.empty())
    event["errors"] = errs;
  return event;
}

// A short stable digest of `text` (FNV-1a, 64 bits, hex): enough to tell error events apart.
std::string contentKey(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static const char* hex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4)
    out[i] = hex[h & 15];
  return out;
}

}  // namespace

WebhookParse parseWebhook(std::string_view body, const std::string& app) {
  WebhookParse result;
  rapidjson::Document root;
  // Iterative: hostile nesting cannot exhaust the stack. Encoding checked: events are UTF-8.
  root.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(),
                                                                                     body.size());
  if (root.HasParseError()) {
    result.outcome = WebhookOutcome::kInvalidJson;
    result.problem = std::string("the body is not valid JSON: ") +
                     rapidjson::GetParseError_En(root.GetParseError()) + " (at byte " +
                     std::to_string(root.GetErrorOffset()) + ")";
    return result;
  }
  if (!root.IsObject()) {
    result.outcome = WebhookOutcome::kNotAnObject;
    result.problem = "the body must be a JSON object";
    return result;
  }
  if (text(root, "object") != "whatsapp_business_account") {
    result.outcome = WebhookOutcome::kOtherObject;
    result.problem = "object '" + text(root, "object") + "' is not whatsapp_business_account";
    return result;
  }
  const Value* entries = field(root, "entry");
  if (!entries || !entries->IsArray()) {
    result.outcome = WebhookOutcome::kNotAnObject;
    result.problem = "entry must be a list";
    return result;
  }
  for (const auto& entry : entries->GetArray()) {
    if (!entry.IsObject()) {
      ++result.malformed;
      continue;
    }
    for (const auto& change : array(entry, "changes").GetArray()) {
      std::string name = text(change, "field");
      if (name != "messages") {
        ++result.ignored_fields[name.empty() ? "(none)" : name];
        continue;
      }
      const Value& value = object(change, "value");
      const Value& meta = object(value, "metadata");
      if (text(meta, "phone_number_id").empty()) {
        ++result.malformed;  // cannot be routed to a tenant
        continue;
      }
      json base{{"channel", "whatsapp"},
                {"app", app},
                {"waba_id", text(entry, "id")},
                {"account", pick(meta, {"phone_number_id", "display_phone_number"})}};
      const Value& contacts = array(value, "contacts");
      for (const auto& msg : array(value, "messages").GetArray()) {
        if (!msg.IsObject() || text(msg, "id").empty()) {
          ++result.malformed;
          continue;
        }
        result.events.push_back(messageEvent(msg, contacts, base));
      }
      for (const auto& st : array(value, "statuses").GetArray()) {
        if (!st.IsObject() || text(st, "id").empty() || text(st, "status").empty()) {
          ++result.malformed;
          continue;
        }
        result.events.push_back(statusEvent(st, base));
      }
      json errs = errors(array(value, "errors"));
      if (!errs.empty()) {
        json event = base;
        event["kind"] = "error";
        // Errors carry no id: the content itself keys them, so a redelivered payload's
        // errors deduplicate like its messages.
        // Meta's JSON may escape lone surrogates, which decode to bytes that are not UTF-8:
        // replaced, not thrown on.
        std::string content = errs.dump(-1, ' ', false, json::error_handler_t::replace);
        event["dedupe_key"] = "error:" + text(meta, "phone_number_id") + ":" + contentKey(content);
        event["errors"] = errs;
        result.events.push_back(event);
      }
    }
  }
  return result;
}

}  // namespace baraza::whatsapp
