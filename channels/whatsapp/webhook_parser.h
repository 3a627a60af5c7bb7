#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace baraza::whatsapp {

enum class WebhookOutcome {
  kEvents,       // a WhatsApp Business Account payload: events (maybe none) to hand on
  kInvalidJson,  // not JSON at all: 400
  kNotAnObject,  // JSON, but not an object, or `entry` is not a list: 400
  kOtherObject,  // `object` is not whatsapp_business_account: 200, ignored
};

struct WebhookParse {
  WebhookOutcome outcome = WebhookOutcome::kEvents;
  std::string problem;                        // what was wrong, for the 400's details
  std::vector<nlohmann::json> events;         // normalized events, in payload order
  std::map<std::string, int> ignored_fields;  // changes[].field values not handled -> count
  int malformed = 0;  // elements skipped because their shape was wrong (not objects, no id)
};

// Parses one webhook body into normalized events: every entry × change × message, status and
// error, not just the first. `app` names the Meta app the body was signed for. Never throws;
// any input gives a result.
//
// The normalized event (docs/channels/whatsapp.md has every field):
//   {"channel": "whatsapp", "app", "kind": "message"|"status"|"error", "waba_id",
//    "account": {"phone_number_id", "display_phone_number"}, "id", "dedupe_key", "timestamp",
//    "from": {"wa_id", "phone", "user_id", "parent_user_id", "username", "profile_name"},
//    "type", "text", "media", "location", "contacts", "interactive", "button", "reaction",
//    "order", "system", "context", "referral", "errors",
//    "status", "recipient", "conversation", "pricing", "biz_opaque_callback_data"}
WebhookParse parseWebhook(std::string_view body, const std::string& app);

}  // namespace baraza::whatsapp
