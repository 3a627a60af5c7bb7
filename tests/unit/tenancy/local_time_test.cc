// Working hours in a named time zone: daylight saving moves the offset, an unknown zone is
// refused when set and falls back to the fixed offset (logged and counted) if it vanishes.
#include "tenancy/local_time.h"

#include <gtest/gtest.h>

#include "core/metrics.h"

namespace baraza {
namespace {

constexpr std::time_t kJuly = 1783684800;     // 2026-07-10 12:00:00 UTC, a Friday
constexpr std::time_t kJanuary = 1799582400;  // 2027-01-10 12:00:00 UTC, a Sunday

TEST(LocalTime, AZoneGivesEachInstantItsOwnOffset) {
  EXPECT_EQ(utcOffsetMinutesAt("Africa/Nairobi", 0, kJuly), 180);
  EXPECT_EQ(utcOffsetMinutesAt("Africa/Nairobi", 0, kJanuary), 180);
  EXPECT_EQ(utcOffsetMinutesAt("Europe/London", 0, kJuly), 60) << "British Summer Time";
  EXPECT_EQ(utcOffsetMinutesAt("Europe/London", 0, kJanuary), 0);
  EXPECT_EQ(utcOffsetMinutesAt("America/New_York", 0, kJuly), -240);
  EXPECT_EQ(utcOffsetMinutesAt("America/New_York", 0, kJanuary), -300);
  EXPECT_EQ(utcOffsetMinutesAt("Asia/Kolkata", 0, kJuly), 330);
  EXPECT_EQ(utcOffsetMinutesAt("", 120, kJuly), 120) << "no zone: the fixed offset";
}

TEST(LocalTime, AnUnknownZoneIsRefusedAndFallsBackCounted) {
  EXPECT_EQ(timeZoneProblem("Africa/Nairobi"), "");
  EXPECT_NE(timeZoneProblem("Mars/Olympus_Mons"), "");
  EXPECT_NE(timeZoneProblem(""), "");
  EXPECT_NE(timeZoneProblem(std::string(100, 'a')), "");
  auto& metrics = MetricsRegistry::global();
  double before = metrics.value("baraza_time_zone_fallbacks_total", {});
  EXPECT_EQ(utcOffsetMinutesAt("Mars/Olympus_Mons", 180, kJuly), 180);
  EXPECT_EQ(metrics.value("baraza_time_zone_fallbacks_total", {}), before + 1);
}

TEST(LocalTime, OpeningHoursFollowTheZoneAcrossDaylightSaving) {
  // London, open 09:00-17:00 every day. At 08:30 UTC: 09:30 local in July (open), 08:30 in
  // January (closed).
  nlohmann::json s{{"business_hours", "sun-sat 09:00-17:00"}, {"time_zone", "Europe/London"}};
  EXPECT_TRUE(tenantOpenAt(s, kJuly - 12600));
  EXPECT_FALSE(tenantOpenAt(s, kJanuary - 12600));
  // The zone wins over a fixed offset; without it the offset serves.
  s["utc_offset_minutes"] = 600;
  EXPECT_TRUE(tenantOpenAt(s, kJuly - 12600));
  s.erase("time_zone");
  EXPECT_FALSE(tenantOpenAt(s, kJuly - 12600)) << "18:30 at UTC+10";
  EXPECT_TRUE(tenantOpenAt(nlohmann::json::object(), kJuly)) << "no hours: always open";
  EXPECT_EQ(tenantUtcOffsetMinutes({{"time_zone", "Africa/Nairobi"}}, kJuly), 180);
}

}  // namespace
}  // namespace baraza
