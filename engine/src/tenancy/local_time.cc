#include "tenancy/local_time.h"

#include <chrono>
#include <mutex>
#include <set>

#include <date/tz.h>
#include <spdlog/spdlog.h>

#include "core/metrics.h"
#include "tenancy/business_hours.h"

namespace baraza {
namespace {

const date::time_zone* findZone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;  // unknown name, or no tzdata on this machine
  }
}

}  // namespace

std::string timeZoneProblem(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return "an IANA time zone name such as \"Africa/Nairobi\"";
  if (!findZone(name))
    return "no time zone '" + name + "' in the system's tzdata (IANA names: \"Africa/Nairobi\")";
  return "";
}

int utcOffsetMinutesAt(const std::string& time_zone, int fallback_minutes, std::time_t at) {
  if (time_zone.empty())
    return fallback_minutes;
  const date::time_zone* zone = findZone(time_zone);
  if (!zone) {
    // Checked when set; gone since (tzdata removed or downgraded): the fixed offset serves.
    MetricsRegistry::global().counterAdd("baraza_time_zone_fallbacks_total", {});
    static std::mutex mutex;
    static std::set<std::string> warned;  // once per zone, not per message
    std::lock_guard lock(mutex);
    if (warned.size() < 100 && warned.insert(time_zone).second) {
      spdlog::warn("time zone '{}' is not in this machine's tzdata; using utc_offset_minutes",
                   time_zone);
    }
    return fallback_minutes;
  }
  auto info = zone->get_info(std::chrono::sys_seconds(std::chrono::seconds(at)));
  return static_cast<int>(info.offset.count() / 60);
}

std::string tenantTimeZone(const nlohmann::json& settings) {
  auto it = settings.find("time_zone");
  return it != settings.end() && it->is_string() ? it->get<std::string>() : "";
}

int tenantUtcOffsetMinutes(const nlohmann::json& settings, std::time_t at) {
  std::string zone = tenantTimeZone(settings);
  long long fixed = 0;
  if (settings.contains("utc_offset_minutes") && settings["utc_offset_minutes"].is_number_integer())
    fixed = settings["utc_offset_minutes"].get<long long>();
  return utcOffsetMinutesAt(zone, static_cast<int>(fixed), at);
}

bool tenantOpenAt(const nlohmann::json& settings, std::time_t at) {
  std::string hours;
  if (settings.contains("business_hours") && settings["business_hours"].is_string())
    hours = settings["business_hours"].get<std::string>();
  if (hours.empty())
    return true;
  return isOpenAt(hours, at, tenantUtcOffsetMinutes(settings, at));
}

}  // namespace baraza
