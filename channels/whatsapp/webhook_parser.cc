#include "webhook_parser.h"

#include <charconv>

namespace baraza::whatsapp {
namespace {

using json = nlohmann::json;

// Field access that never throws, whatever shape untrusted input has.
const json* field(const json& obj, const char* key) {
  if (!obj.is_object())
    return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

// A string field; numbers are accepted and written out as text (ids and timestamps are strings
// in Meta's payloads, but a number there must not lose the event).
std::string text(const json& obj, const char* key) {
  const json* v = field(obj, key);
  if (!v)
    return "";
  if (v->is_string())
    return v->get<std::string>();
  if (v->is_number_integer())
    return std::to_string(v->get<long long>());
  if (v->is_number_unsigned())
    return std::to_string(v->get<unsigned long long>());
  return "";
}

const json& object(const json& obj, const char* key) {
  static const json empty = json::object();
  const json* v = field(obj, key);
  return v && v->is_object() ? *v : empty;
}

const json& array(const json& obj, const char* key) {
  static const json empty = json::array();
  const json* v = field(obj, key);
  return v && v->is_array() ? *v : empty;
}

// Copies the string fields `keys` of `src` that are present into a new object.
json pick(const json& src, std::initializer_list<const char*> keys) {
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

bool flag(const json& obj, const char* key) {
  const json* v = field(obj, key);
  return v && v->is_boolean() && v->get<bool>();
}

json errors(const json& list) {
  json out = json::array();
  if (!list.is_array())
    return out;
  for (const auto& e : list) {
    if (!e.is_object())
      continue;
    json n = pick(e, {"title", "message", "href"});
    const json* code = field(e, "code");
    n["code"] =
        code && code->is_number_integer() ? code->get<long long>() : epochSeconds(text(e, "code"));
    std::string details = text(object(e, "error_data"), "details");
    if (!details.empty())
      n["details"] = details;
    out.push_back(n);
  }
  return out;
}

// The contacts[] entry describing the sender of `msg`: matched on wa_id or business-scoped
// user id; the only one when there is just one.
const json& senderContact(const json& contacts, const json& msg) {
  static const json none = json::object();
  if (!contacts.is_array())
    return none;
  std::string from = text(msg, "from");
  std::string user = text(msg, "from_user_id");
  for (const auto& c : contacts) {
    if (!from.empty() && text(c, "wa_id") == from)
      return c;
    if (!user.empty() && text(c, "user_id") == user)
      return c;
  }
  return contacts.size() == 1 && contacts[0].is_object() ? contacts[0] : none;
}

json sender(const json& contact, const json& msg) {
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
  const json& profile = object(contact, "profile");
  std::string name = text(profile, "name");
  if (!name.empty())
    from["profile_name"] = name;
  std::string username = text(profile, "username");
  if (!username.empty())
    from["username"] = username;
  return from;
}

void addMedia(const json& msg, const std::string& type, json& event) {
  const json& m = object(msg, type.c_str());
  json media = pick(m, {"id", "mime_type", "sha256", "caption", "filename", "url"});
  if (type == "audio")
    media["voice"] = flag(m, "voice");
  if (type == "sticker")
    media["animated"] = flag(m, "animated");
  if (media.contains("caption"))
    event["text"] = media["caption"];
  event["media"] = media;
}

void addInteractive(const json& msg, json& event) {
  const json& i = object(msg, "interactive");
  std::string kind = text(i, "type");
  json out{{"type", kind}};
  if (kind == "button_reply" || kind == "list_reply") {
    const json& reply = object(i, kind.c_str());
    out.update(pick(reply, {"id", "title", "description"}));
    if (out.contains("title"))
      event["text"] = out["title"];
  } else if (kind == "nfm_reply") {  // a completed WhatsApp Flow
    const json& reply = object(i, "nfm_reply");
    out.update(pick(reply, {"name", "body"}));
    std::string raw = text(reply, "response_json");
    json parsed = json::parse(raw, nullptr, false);
    out["response"] = parsed.is_discarded() ? json(raw) : parsed;
  }
  event["interactive"] = out;
}

void addContent(const json& msg, const std::string& type, json& event) {
  if (type == "text") {
    event["text"] = text(object(msg, "text"), "body");
  } else if (type == "image" || type == "video" || type == "document" || type == "sticker" ||
             type == "audio") {
    addMedia(msg, type, event);
  } else if (type == "location") {
    const json& l = object(msg, "location");
    json loc = pick(l, {"name", "address", "url"});
    for (const char* k : {"latitude", "longitude"}) {
      const json* v = field(l, k);
      if (v && v->is_number())
        loc[k] = v->get<double>();
    }
    event["location"] = loc;
  } else if (type == "contacts") {
    event["contacts"] = array(msg, "contacts");
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
    const json& o = object(msg, "order");
    json order = pick(o, {"catalog_id", "text"});
    order["product_items"] = array(o, "product_items");
    event["order"] = order;
  } else if (type == "system") {
    event["system"] = pick(object(msg, "system"), {"body", "type", "wa_id", "customer"});
  }
}

json messageEvent(const json& msg, const json& contacts, const json& base) {
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
  if (const json* ctx = field(msg, "context"); ctx && ctx->is_object()) {
    json c = pick(*ctx, {"from", "id"});
    c["forwarded"] = flag(*ctx, "forwarded");
    c["frequently_forwarded"] = flag(*ctx, "frequently_forwarded");
    if (const json* p = field(*ctx, "referred_product"); p && p->is_object()) {
      c["referred_product"] = *p;
    }
    event["context"] = c;
  }
  if (const json* ref = field(msg, "referral"); ref && ref->is_object())
    event["referral"] = *ref;
  json errs = errors(array(msg, "errors"));
  if (!errs.empty())
    event["errors"] = errs;
  return event;
}

json statusEvent(const json& st, const json& base) {
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
  if (const json* c = field(st, "conversation"); c && c->is_object()) {
    json conv = pick(*c, {"id", "expiration_timestamp"});
    std::string origin = text(object(*c, "origin"), "type");
    if (!origin.empty())
      conv["origin"] = origin;
    event["conversation"] = conv;
  }
  if (const json* p = field(st, "pricing"); p && p->is_object()) {
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

}  // namespace

WebhookParse parseWebhook(std::string_view body, const std::string& app) {
  WebhookParse result;
  json root = json::parse(body.begin(), body.end(), nullptr, false);
  if (root.is_discarded()) {
    result.outcome = WebhookOutcome::kInvalidJson;
    result.problem = "the body is not valid JSON";
    return result;
  }
  if (!root.is_object()) {
    result.outcome = WebhookOutcome::kNotAnObject;
    result.problem = "the body must be a JSON object";
    return result;
  }
  if (text(root, "object") != "whatsapp_business_account") {
    result.outcome = WebhookOutcome::kOtherObject;
    result.problem = "object '" + text(root, "object") + "' is not whatsapp_business_account";
    return result;
  }
  const json* entries = field(root, "entry");
  if (!entries || !entries->is_array()) {
    result.outcome = WebhookOutcome::kNotAnObject;
    result.problem = "entry must be a list";
    return result;
  }
  for (const auto& entry : *entries) {
    if (!entry.is_object()) {
      ++result.malformed;
      continue;
    }
    for (const auto& change : array(entry, "changes")) {
      std::string name = text(change, "field");
      if (name != "messages") {
        ++result.ignored_fields[name.empty() ? "(none)" : name];
        continue;
      }
      const json& value = object(change, "value");
      const json& meta = object(value, "metadata");
      json base{{"channel", "whatsapp"},
                {"app", app},
                {"waba_id", text(entry, "id")},
                {"account", pick(meta, {"phone_number_id", "display_phone_number"})}};
      if (text(meta, "phone_number_id").empty()) {
        ++result.malformed;  // cannot be routed to a tenant
        continue;
      }
      const json& contacts = array(value, "contacts");
      for (const auto& msg : array(value, "messages")) {
        if (!msg.is_object() || text(msg, "id").empty()) {
          ++result.malformed;
          continue;
        }
        result.events.push_back(messageEvent(msg, contacts, base));
      }
      for (const auto& st : array(value, "statuses")) {
        if (!st.is_object() || text(st, "id").empty() || text(st, "status").empty()) {
          ++result.malformed;
          continue;
        }
        result.events.push_back(statusEvent(st, base));
      }
      json errs = errors(array(value, "errors"));
      if (!errs.empty()) {
        json event = base;
        event["kind"] = "error";
        event["errors"] = errs;
        result.events.push_back(event);
      }
    }
  }
  return result;
}

}  // namespace baraza::whatsapp
