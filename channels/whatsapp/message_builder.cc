#include "message_builder.h"

#include <set>

namespace baraza::whatsapp {
namespace {

using json = nlohmann::json;

// Meta's limits for interactive messages.
constexpr size_t kMaxButtons = 3;
constexpr size_t kMaxButtonTitle = 20;
constexpr size_t kMaxButtonId = 256;
constexpr size_t kMaxBody = 1024;
constexpr size_t kMaxFooter = 60;
constexpr size_t kMaxHeaderText = 60;
constexpr size_t kMaxRows = 10;
constexpr size_t kMaxSections = 10;
constexpr size_t kMaxRowTitle = 24;
constexpr size_t kMaxRowDescription = 72;
constexpr size_t kMaxListButton = 20;
constexpr size_t kMaxSectionTitle = 24;
constexpr size_t kMaxRowId = 200;
constexpr size_t kMaxText = 4096;
constexpr size_t kMaxCaption = 1024;

// Characters as Meta counts them (UTF-8 code points), not bytes.
size_t length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    n += (c & 0xC0) != 0x80;
  return n;
}

struct Invalid {
  std::string what;
};

std::string str(const json& obj, const char* key, bool required, size_t max = 0) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required)
      throw Invalid{std::string(key) + " is required"};
    return "";
  }
  if (!it->is_string())
    throw Invalid{std::string(key) + " must be a string"};
  std::string v = it->get<std::string>();
  if (required && v.empty())
    throw Invalid{std::string(key) + " must not be empty"};
  if (max && length(v) > max) {
    throw Invalid{std::string(key) + " is " + std::to_string(length(v)) +
                  " characters; Meta allows " + std::to_string(max)};
  }
  return v;
}

const json& list(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_array())
    throw Invalid{std::string(key) + " must be a list"};
  return *it;
}

const json& object(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object())
    throw Invalid{std::string(key) + " must be an object"};
  return *it;
}

// "header": a plain string becomes a text header; an object is Meta's header as it is.
json header(const json& msg) {
  auto it = msg.find("header");
  if (it->is_string()) {
    std::string text = str(msg, "header", true, kMaxHeaderText);
    return {{"type", "text"}, {"text", text}};
  }
  if (!it->is_object())
    throw Invalid{"header must be a string or Meta's header object"};
  if (it->value("type", "") == "text")
    str(*it, "text", true, kMaxHeaderText);
  return *it;
}

void addCommonParts(const json& msg, json& interactive) {
  interactive["body"] = {{"text", str(msg, "body", true, kMaxBody)}};
  if (msg.contains("header"))
    interactive["header"] = header(msg);
  if (msg.contains("footer"))
    interactive["footer"] = {{"text", str(msg, "footer", true, kMaxFooter)}};
}

json buttons(const json& msg) {
  const json& given = list(msg, "buttons");
  if (given.empty() || given.size() > kMaxButtons) {
    throw Invalid{"buttons: " + std::to_string(given.size()) + " given; Meta allows 1 to " +
                  std::to_string(kMaxButtons)};
  }
  json interactive{{"type", "button"}};
  addCommonParts(msg, interactive);
  json out = json::array();
  std::set<std::string> ids;
  for (const auto& b : given) {
    if (!b.is_object())
      throw Invalid{"buttons: each button must be an object"};
    std::string id = str(b, "id", true, kMaxButtonId);
    if (!ids.insert(id).second)
      throw Invalid{"buttons: the id '" + id + "' is used twice"};
    out.push_back({{"type", "reply"},
                   {"reply", {{"id", id}, {"title", str(b, "title", true, kMaxButtonTitle)}}}});
  }
  interactive["action"] = {{"buttons", out}};
  return interactive;
}

json listMessage(const json& msg) {
  const json& sections = list(msg, "sections");
  if (sections.empty() || sections.size() > kMaxSections) {
    throw Invalid{"sections: " + std::to_string(sections.size()) + " given; Meta allows 1 to " +
                  std::to_string(kMaxSections)};
  }
  json interactive{{"type", "list"}};
  addCommonParts(msg, interactive);
  json out = json::array();
  size_t rows = 0;
  std::set<std::string> ids;
  for (const auto& s : sections) {
    if (!s.is_object())
      throw Invalid{"sections: each section must be an object"};
    json section = json::object();
    std::string title = str(s, "title", sections.size() > 1, kMaxSectionTitle);
    if (!title.empty())
      section["title"] = title;
    json section_rows = json::array();
    for (const auto& r : list(s, "rows")) {
      if (!r.is_object())
        throw Invalid{"rows: each row must be an object"};
      std::string id = str(r, "id", true, kMaxRowId);
      if (!ids.insert(id).second)
        throw Invalid{"rows: the id '" + id + "' is used twice"};
      json row{{"id", id}, {"title", str(r, "title", true, kMaxRowTitle)}};
      std::string description = str(r, "description", false, kMaxRowDescription);
      if (!description.empty())
        row["description"] = description;
      section_rows.push_back(row);
      ++rows;
    }
    section["rows"] = section_rows;
    out.push_back(section);
  }
  if (rows == 0 || rows > kMaxRows) {
    throw Invalid{"rows: " + std::to_string(rows) + " in all; Meta allows 1 to " +
                  std::to_string(kMaxRows)};
  }
  interactive["action"] = {{"button", str(msg, "button", true, kMaxListButton)}, {"sections", out}};
  return interactive;
}

json media(const json& msg, const std::string& kind) {
  const json& m = object(msg, "media");
  std::string id = str(m, "id", false);
  std::string link = str(m, "link", false);
  if (id.empty() == link.empty())
    throw Invalid{"media needs exactly one of id and link"};
  json out = id.empty() ? json{{"link", link}} : json{{"id", id}};
  std::string caption = str(m, "caption", false, kMaxCaption);
  if (!caption.empty()) {
    if (kind == "audio" || kind == "sticker")
      throw Invalid{kind + " cannot have a caption"};
    out["caption"] = caption;
  }
  std::string filename = str(m, "filename", false);
  if (!filename.empty()) {
    if (kind != "document")
      throw Invalid{"only a document has a filename"};
    out["filename"] = filename;
  }
  return out;
}

json templateMessage(const json& msg) {
  const json& t = object(msg, "template");
  json out{{"name", str(t, "name", true)}};
  auto lang = t.find("language");
  if (lang == t.end())
    throw Invalid{"template.language is required"};
  if (lang->is_string()) {
    out["language"] = {{"code", lang->get<std::string>()}};
  } else if (lang->is_object() && lang->contains("code")) {
    out["language"] = *lang;
  } else {
    throw Invalid{"template.language must be a code such as en_US, or {\"code\": ...}"};
  }
  if (t.contains("components")) {
    for (const auto& c : list(t, "components")) {
      if (!c.is_object() || !c.contains("type")) {
        throw Invalid{"template.components: each component needs a type"};
      }
    }
    out["components"] = t["components"];
  }
  return out;
}

json build(const json& msg) {
  if (!msg.is_object())
    throw Invalid{"the message must be a JSON object"};
  std::string kind = str(msg, "kind", true);
  if (kind == "mark_read") {
    json out{{"messaging_product", "whatsapp"},
             {"status", "read"},
             {"message_id", str(msg, "message_id", true)}};
    if (msg.value("typing_indicator", false))
      out["typing_indicator"] = {{"type", "text"}};
    return out;
  }
  json out{{"messaging_product", "whatsapp"},
           {"recipient_type", msg.contains("recipient_type") ? str(msg, "recipient_type", true)
                                                             : std::string("individual")},
           {"to", str(msg, "to", true)}};
  std::string reply_to = str(msg, "reply_to", false);
  if (!reply_to.empty())
    out["context"] = {{"message_id", reply_to}};
  std::string callback = str(msg, "biz_opaque_callback_data", false, 512);
  if (!callback.empty())
    out["biz_opaque_callback_data"] = callback;

  if (kind == "text") {
    out["type"] = "text";
    out["text"] = {{"body", str(msg, "text", true, kMaxText)}};
    if (msg.contains("preview_url")) {
      if (!msg["preview_url"].is_boolean())
        throw Invalid{"preview_url must be true or false"};
      out["text"]["preview_url"] = msg["preview_url"];
    }
  } else if (kind == "image" || kind == "audio" || kind == "video" || kind == "document" ||
             kind == "sticker") {
    out["type"] = kind;
    out[kind] = media(msg, kind);
  } else if (kind == "location") {
    const json& l = object(msg, "location");
    for (const char* k : {"latitude", "longitude"}) {
      if (!l.contains(k) || !l[k].is_number())
        throw Invalid{std::string(k) + " must be a number"};
    }
    out["type"] = "location";
    out["location"] = l;
  } else if (kind == "contacts") {
    if (list(msg, "contacts").empty())
      throw Invalid{"contacts must not be empty"};
    out["type"] = "contacts";
    out["contacts"] = msg["contacts"];
  } else if (kind == "reaction") {
    const json& r = object(msg, "reaction");
    out["type"] = "reaction";
    out["reaction"] = {{"message_id", str(r, "message_id", true)},
                       {"emoji", str(r, "emoji", false)}};
  } else if (kind == "buttons") {
    out["type"] = "interactive";
    out["interactive"] = buttons(msg);
  } else if (kind == "list") {
    out["type"] = "interactive";
    out["interactive"] = listMessage(msg);
  } else if (kind == "interactive") {
    const json& i = object(msg, "interactive");
    std::string type = str(i, "type", true);
    if (type == "button" || type == "list") {
      throw Invalid{"use kind buttons or list for " + type + " messages: their limits are checked"};
    }
    out["type"] = "interactive";
    out["interactive"] = i;
  } else if (kind == "template") {
    out["type"] = "template";
    out["template"] = templateMessage(msg);
  } else {
    throw Invalid{"unknown kind '" + kind + "'"};
  }
  return out;
}

}  // namespace

BuiltMessage buildGraphMessage(const nlohmann::json& message) {
  BuiltMessage result;
  try {
    result.body = build(message);
    result.ok = true;
  } catch (const Invalid& e) {
    result.error = e.what;
  } catch (const nlohmann::json::exception& e) {
    result.error = std::string("malformed message: ") + e.what();
  }
  return result;
}

}  // namespace baraza::whatsapp
