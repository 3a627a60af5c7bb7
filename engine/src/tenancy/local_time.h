#pragma once

#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

namespace baraza {

// A tenant's local time: settings.time_zone (an IANA name, daylight saving included) when set,
// else the fixed settings.utc_offset_minutes.

// "" when `name` is a time zone of the system's database; else the problem.
std::string timeZoneProblem(const std::string& name);

// Minutes local time is ahead of UTC at `at` in zone `time_zone`, or `fallback_minutes` when
// the zone is "" or unknown (an unknown zone is logged and counted).
int utcOffsetMinutesAt(const std::string& time_zone, int fallback_minutes, std::time_t at);

// settings.time_zone, or "".
std::string tenantTimeZone(const nlohmann::json& settings);

// The same for a tenant's settings object.
int tenantUtcOffsetMinutes(const nlohmann::json& settings, std::time_t at);

// Whether the tenant is inside settings.business_hours at `at`.
bool tenantOpenAt(const nlohmann::json& settings, std::time_t at);

}  // namespace baraza
