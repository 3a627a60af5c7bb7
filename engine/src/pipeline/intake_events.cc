#include "pipeline/intake_events.h"

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/json_fields.h"
#include "storage/migrator.h"

namespace baraza {
namespace {

using Value = rapidjson::Value;

// Writing an event back is recursive, so an event may nest only so deep; channels' events are
// shallow (the WhatsApp plugin cuts what it passes through at 16 levels).
constexpr size_t kMaxDepth = 64;

bool hasDuplicateNames(const Value& object) {
  std::vector<std::string_view> names;
  names.reserve(object.MemberCount());
  for (const auto& m : object.GetObject())
    names.emplace_back(m.name.GetString(), m.name.GetStringLength());
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) != names.end();
}

// What makes an event unfit to store, or "". A name given twice is refused: the readers of the
// stored event would not agree on which value counts (this file and parsePayload read the
// first, nlohmann::json the last).
std::string shapeProblem(const Value& event) {
  std::vector<std::pair<const Value*, size_t>> open{{&event, 1}};
  while (!open.empty()) {
    auto [v, depth] = open.back();
    open.pop_back();
    if (depth > kMaxDepth)
      return "an event nests deeper than " + std::to_string(kMaxDepth) + " levels";
    if (v->IsObject()) {
      if (hasDuplicateNames(*v))
        return "an event names a member twice in one object";
      for (const auto& m : v->GetObject())
        open.emplace_back(&m.value, depth + 1);
    } else if (v->IsArray()) {
      for (const auto& item : v->GetArray())
        open.emplace_back(&item, depth + 1);
    }
  }
  return "";
}

// The event as JSON text, or nullopt when it cannot be written back: a number the parser read as
// infinite (9e999), or a string that is not UTF-8 once its escapes are read (a lone surrogate).
std::optional<std::string> written(const Value& event) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
      writer(buffer);
  if (!event.Accept(writer))
    return std::nullopt;
  return std::string(buffer.GetString(), buffer.GetSize());
}

IntakeEvent intakeEvent(const Value& event) {
  if (!event.IsObject())
    return {std::nullopt, "an event must be a JSON object"};
  InboxEvent e;
  e.channel_type = jsonString(event, "channel");
  e.kind = jsonString(event, "kind");
  e.account_id = jsonString(jsonMember(event, "account"), "phone_number_id");
  e.dedupe_key = jsonString(event, "dedupe_key");
  if (e.channel_type.empty() || e.kind.empty() || e.account_id.empty())
    return {std::nullopt, "an event needs channel, kind and account.phone_number_id"};
  if (std::string problem = shapeProblem(event); !problem.empty())
    return {std::nullopt, problem};
  auto text = written(event);
  if (!text)
    return {std::nullopt, "an event holds a number or a string JSON cannot carry"};
  e.payload = std::move(*text);
  if (e.dedupe_key.empty())
    e.dedupe_key = e.kind + ":sha256:" + sha256Hex(e.payload);  // errors carry no id
  if (e.kind == "message") {
    const Value& from = jsonMember(event, "from");
    std::string who = jsonString(from, "user_id");
    if (who.empty())
      who = jsonString(from, "wa_id");
    e.order_key = e.channel_type + ':' + e.account_id + ':' + who;
  } else {
    e.order_key = e.channel_type + ':' + e.account_id + ':' + e.dedupe_key;  // no order needed
  }
  return {std::move(e), {}};
}

}  // namespace

std::optional<std::vector<IntakeEvent>> inboxEventsFrom(std::string_view events_json) {
  rapidjson::Document parsed;
  // Iterative: a plugin's deeply nested event cannot exhaust the stack. A channel's text that
  // is not UTF-8 is refused whole, as a JSON parser must.
  // Not kParseFullPrecisionFlag: RapidJSON 1.1.0 then reads 9e308 as -2.8e-308, where the
  // default reads it as infinite, which written() refuses.
  parsed.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      events_json.data(), events_json.size());
  if (parsed.HasParseError() || !(parsed.IsArray() || parsed.IsObject()))
    return std::nullopt;
  std::vector<IntakeEvent> events;
  if (parsed.IsObject()) {
    events.push_back(intakeEvent(parsed));
    return events;
  }
  events.reserve(parsed.Size());
  for (const auto& e : parsed.GetArray())
    events.push_back(intakeEvent(e));
  return events;
}

std::optional<InboxEvent> inboxEventFrom(const nlohmann::json& event, std::string& problem) {
  if (!event.is_object()) {
    problem = "an event must be a JSON object";
    return std::nullopt;
  }
  auto events =
      inboxEventsFrom(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!events || events->size() != 1)
    return std::nullopt;
  problem = events->front().problem;
  return std::move(events->front().event);
}

}  // namespace baraza
