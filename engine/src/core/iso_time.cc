#include "core/iso_time.h"

#include <chrono>
#include <cstdio>

namespace baraza {

std::optional<std::time_t> parseIsoUtc(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10) {
    return std::nullopt;
  }
  std::string rest = text.substr(10);
  if (!rest.empty()) {
    if ((rest[0] != 'T' && rest[0] != ' ') ||
        std::sscanf(rest.c_str() + 1, "%2d:%2d:%2d%n", &h, &mi, &s, &used) != 3 || used != 8) {
      return std::nullopt;
    }
    std::string zone = rest.substr(9);
    size_t i = 0;
    if (i < zone.size() && zone[i] == '.') {
      ++i;
      while (i < zone.size() && zone[i] >= '0' && zone[i] <= '9')
        ++i;
    }
    zone = zone.substr(i);
    if (!(zone.empty() || zone == "Z" || zone == "+00" || zone == "+00:00"))
      return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return timegm(&tm);
}

std::string isoNowMicros() {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(now);
  long long micros = std::chrono::duration_cast<std::chrono::microseconds>(now - secs).count();
  std::string base = formatIsoUtc(std::chrono::system_clock::to_time_t(now));
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%06lldZ", micros);
  return base.substr(0, base.size() - 1) + frac;
}

std::string isoAtMicros(long long epoch_us) {
  long long seconds = epoch_us / 1000000, micros = epoch_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  std::string base = formatIsoUtc(static_cast<std::time_t>(seconds));
  char frac[16];
  std::snprintf(frac, sizeof(frac), ".%06lldZ", micros);
  return base.substr(0, base.size() - 1) + frac;
}

std::string formatIsoUtc(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace baraza
