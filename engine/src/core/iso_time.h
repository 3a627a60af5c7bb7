#pragma once

#include <ctime>
#include <optional>
#include <string>

namespace baraza {

// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SS[.fff][Z|+00|+00:00]" or PostgreSQL's
// "YYYY-MM-DD HH:MM:SS[+00]" as UTC seconds; nullopt for anything else.
std::optional<std::time_t> parseIsoUtc(const std::string& text);
std::string formatIsoUtc(std::time_t t);  // "YYYY-MM-DDTHH:MM:SSZ"
// The current time as "YYYY-MM-DDTHH:MM:SS.ffffffZ": fixed width, so it also sorts as text.
std::string isoNowMicros();
// A time given in microseconds since the epoch, in the same fixed-width form.
std::string isoAtMicros(long long epoch_us);

}  // namespace baraza
