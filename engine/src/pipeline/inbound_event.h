#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "pipeline/result.h"

namespace baraza {

// Who wrote a message (the normalized event's `from`, docs/channels/whatsapp.md).
struct Sender {
  std::string wa_id, phone, user_id, username, profile_name;
  // The identity a contact is keyed on: the business-scoped user id when Meta sends one.
  const std::string& key() const { return user_id.empty() ? wa_id : user_id; }
};

// One claimed inbox event, parsed once from its stored payload: the fields the pipeline reads,
// typed, and the whole normalized event for what hands it on (strategies, scripts, leads).
struct InboundEvent {
  // The inbox row.
  long long inbox_id = 0;
  int attempts = 0;
  long long received_ms = 0;
  long long due_ms = 0;  // when it was due: its arrival, a retry's backoff or a debounce
  std::string order_key;
  // The event.
  std::string channel;  // "whatsapp"
  std::string app;      // the Meta app whose secret signed the webhook
  // Whether that app serves the bare webhook path; absent when the plugin does not say (the
  // simulate command, events stored before the check).
  std::optional<bool> app_default;
  std::string kind;            // message, status, error
  std::string account_id;      // the receiving number's phone_number_id
  std::string display_number;  // the receiving number as people dial it
  std::string id;              // the channel's message id (wamid)
  long long timestamp_s = 0;   // the channel's epoch seconds; 0 when it sent none
  Sender from;                 // messages
  std::string type;            // messages: text, image, ...
  std::string text;            // messages: the text, a caption or a button title
  std::string status;          // statuses: sent, delivered, read, played, failed
  std::string payload;         // the event as stored

  bool isMessage() const { return kind == "message"; }
  bool isStatus() const { return kind == "status"; }
  // The whole normalized event as a tree, for what hands it on (scripts, leads, debounce), parsed
  // from `payload` on first use; an empty object if it does not parse.
  const nlohmann::json& tree() const;

 private:
  friend std::optional<Failure> parsePayload(InboundEvent& event);
  mutable std::shared_ptr<const nlohmann::json> tree_;  // shared by copies: it never changes
};

// The sender of a normalized event's `from` object.
Sender senderFrom(const nlohmann::json& from);

// Fills the event's fields from its payload; a payload that is not a JSON object is a Failure.
std::optional<Failure> parsePayload(InboundEvent& event);

// A string member of a JSON object, or "".
std::string jsonText(const nlohmann::json& object, const char* name);

}  // namespace baraza
