#include "tenancy/business_hours.h"

#include <regex>

namespace baraza {
namespace {

int dayIndex(const std::string& name) {
  static const char* const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (int i = 0; i < 7; ++i) {
    if (name == days[i])
      return i;
  }
  return -1;
}

}  // namespace

std::optional<BusinessHours> parseBusinessHours(const std::string& text, std::string& problem) {
  problem.clear();
  BusinessHours hours;
  static const std::regex part(
      R"(^\s*([a-z]{3})(?:\s*-\s*([a-z]{3}))?\s+(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$)");
  size_t start = 0;
  bool any = false;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string piece = text.substr(start, comma == std::string::npos ? comma : comma - start);
    start = comma == std::string::npos ? text.size() + 1 : comma + 1;
    if (piece.find_first_not_of(" \t") == std::string::npos)
      continue;
    std::smatch m;
    if (!std::regex_match(piece, m, part)) {
      problem = "'" + piece + "' is not like \"mon-fri 08:00-18:00\"";
      return std::nullopt;
    }
    int from = dayIndex(m[1]), to = m[2].matched ? dayIndex(m[2]) : from;
    int open = std::stoi(m[3]) * 60 + std::stoi(m[4]);
    int close = std::stoi(m[5]) * 60 + std::stoi(m[6]);
    if (from < 0 || to < 0) {
      problem = "'" + piece + "': days are sun, mon, tue, wed, thu, fri, sat";
      return std::nullopt;
    }
    if (std::stoi(m[4]) > 59 || std::stoi(m[6]) > 59 || open >= close || close > 24 * 60) {
      problem = "'" + piece + "': the opening must come before the closing, within one day";
      return std::nullopt;
    }
    for (int d = from;; d = (d + 1) % 7) {
      hours[d].emplace_back(open, close);
      if (d == to)
        break;
    }
    any = true;
  }
  if (!any)
    return std::nullopt;
  return hours;
}

bool isOpenAt(const std::string& hours_text, std::time_t at, int utc_offset_minutes) {
  std::string problem;
  auto hours = parseBusinessHours(hours_text, problem);
  if (!hours)
    return true;  // no hours (or unreadable ones, refused when they were set): always open
  std::time_t local = at + static_cast<std::time_t>(utc_offset_minutes) * 60;
  std::tm tm{};
  gmtime_r(&local, &tm);
  int minute = tm.tm_hour * 60 + tm.tm_min;
  for (const auto& [open, close] : (*hours)[tm.tm_wday]) {
    if (minute >= open && minute < close)
      return true;
  }
  return false;
}

}  // namespace baraza
