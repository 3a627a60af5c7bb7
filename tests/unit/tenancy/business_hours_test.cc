#include "tenancy/business_hours.h"

#include <gtest/gtest.h>

#include "core/iso_time.h"

namespace baraza {
namespace {

std::time_t at(const char* iso) {
  return *parseIsoUtc(iso);
}

TEST(BusinessHours, OpenAndClosedInLocalTime) {
  const std::string hours = "mon-fri 08:00-18:00, sat 09:00-13:00";
  // 2026-11-23 is a Monday. Nairobi is UTC+3.
  EXPECT_TRUE(isOpenAt(hours, at("2026-11-23T05:00:00Z"), 180)) << "08:00 local opens";
  EXPECT_FALSE(isOpenAt(hours, at("2026-11-23T04:59:00Z"), 180));
  EXPECT_FALSE(isOpenAt(hours, at("2026-11-23T15:00:00Z"), 180)) << "18:00 local has closed";
  EXPECT_TRUE(isOpenAt(hours, at("2026-11-28T07:30:00Z"), 180)) << "Saturday 10:30";
  EXPECT_FALSE(isOpenAt(hours, at("2026-11-29T07:30:00Z"), 180)) << "Sunday";
  EXPECT_TRUE(isOpenAt(hours, at("2026-11-23T22:30:00Z"), 600))
      << "Tuesday 08:30 at UTC+10: the offset moves the day too";
  EXPECT_TRUE(isOpenAt("", at("2026-11-29T03:00:00Z"), 0)) << "no hours: always open";
}

TEST(BusinessHours, RangesWrapAndBadTextIsNamed) {
  std::string problem;
  auto weekend = parseBusinessHours("sat-sun 10:00-24:00", problem);
  ASSERT_TRUE(weekend) << problem;
  EXPECT_EQ((*weekend)[0].size(), 1u);
  EXPECT_EQ((*weekend)[6].size(), 1u);
  EXPECT_TRUE((*weekend)[3].empty());
  EXPECT_FALSE(parseBusinessHours("mon 18:00-08:00", problem));
  EXPECT_NE(problem.find("before the closing"), std::string::npos);
  EXPECT_FALSE(parseBusinessHours("monday 8-5", problem));
  EXPECT_NE(problem.find("monday 8-5"), std::string::npos);
  EXPECT_FALSE(parseBusinessHours("xyz 08:00-09:00", problem));
  EXPECT_FALSE(parseBusinessHours("", problem));
  EXPECT_TRUE(problem.empty()) << "empty is not an error: always open";
}

}  // namespace
}  // namespace baraza
