#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/inbox_store.h"

namespace baraza {

// One event of a channel's batch: its inbox fields, or what it lacked.
struct IntakeEvent {
  std::optional<InboxEvent> event;
  std::string problem;  // when `event` is empty
};

// The inbox fields of a channel's normalized events (docs/channels/whatsapp.md), given as the
// JSON text a channel hands the host: an array of events, or one event. Each event's payload is
// its own JSON text, written once here. An event nested deeper than 64 levels, naming a member
// twice in one object, or holding what JSON cannot carry (a number beyond a double, a lone
// surrogate) is refused alone. nullopt when the text is neither an array nor an object
// (or not JSON). Read with RapidJSON: on every webhook's path, where a whole nlohmann::json
// tree of the batch cost several times as much (bench/README.md).
std::optional<std::vector<IntakeEvent>> inboxEventsFrom(std::string_view events_json);

// One event (the simulate command, tests); nullopt with `problem` set when it lacks what routing
// and deduplication need.
std::optional<InboxEvent> inboxEventFrom(const nlohmann::json& event, std::string& problem);

}  // namespace baraza
