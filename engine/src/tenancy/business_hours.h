#pragma once

#include <array>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace baraza {

// Opening hours per weekday (0 = Sunday), as minutes from local midnight: [open, close).
using BusinessHours = std::array<std::vector<std::pair<int, int>>, 7>;

// Parses "mon-fri 08:00-18:00, sat 09:00-13:00" (days: sun mon tue wed thu fri sat, a day or a
// range; times HH:MM, 24:00 allowed as a close). "" means always open: nullopt with no
// problem. Returns nullopt with `problem` set for text it cannot read.
std::optional<BusinessHours> parseBusinessHours(const std::string& text, std::string& problem);

// Whether `at` falls in the hours, local time being UTC + offset minutes. Always true for "".
bool isOpenAt(const std::string& hours_text, std::time_t at, int utc_offset_minutes);

}  // namespace baraza
