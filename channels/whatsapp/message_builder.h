#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace baraza::whatsapp {

struct BuiltMessage {
  bool ok = false;
  nlohmann::json body;  // the Graph API request body for POST /{version}/{phone_number_id}/messages
  std::string error;    // what is wrong with the message, when !ok
};

// Builds the Graph API body of one outbound message from the engine's outbound form, checking
// Meta's limits first (at most 3 buttons and 10 list rows, title and body lengths) so a message
// Meta would refuse is never sent. The outbound form (docs/channels/whatsapp.md):
//   {"to", "kind", "reply_to"?, "recipient_type"?, "biz_opaque_callback_data"?, ...}
//   kind text:      "text", "preview_url"?
//   kind image|audio|video|document|sticker: "media": {"id" | "link", "caption"?, "filename"?}
//   kind location:  "location": {"latitude", "longitude", "name"?, "address"?}
//   kind contacts:  "contacts": [Meta's contact cards]
//   kind reaction:  "reaction": {"message_id", "emoji"} (an empty emoji removes it)
//   kind buttons:   "body", "buttons": [{"id", "title"}], "header"?, "footer"?
//   kind list:      "body", "button", "sections": [{"title"?, "rows": [{"id", "title",
//                   "description"?}]}], "header"?, "footer"?
//   kind interactive: "interactive": Meta's object (cta_url, flow, product, product_list,
//                   catalog_message, order_details, order_status, location_request_message)
//   kind template:  "template": {"name", "language" (code or object), "components"?}
//   kind mark_read: "message_id", "typing_indicator"? (shows "typing..." until the reply)
BuiltMessage buildGraphMessage(const nlohmann::json& message);

}  // namespace baraza::whatsapp
