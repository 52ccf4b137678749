#include "common/time_format.h"

#include <cstdio>
#include <ctime>
#include <optional>

namespace fleetpatch {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::tm ToUtc(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}

std::optional<TimePoint> FromUtc(int year, int mon, int day, int hour, int min, int sec) {
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 ||
      sec > 60) {
    return std::nullopt;
  }
  // What a TimePoint holds (64-bit nanoseconds: 1677-09-21 to 2262-04-11), less a day so that a
  // zone offset or a fraction cannot step past it; a later year overflowed from_time_t.
  if (year < 1678 || year > 2261) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool ReadDigits(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// The fraction after the seconds, from s[*pos] ('.' expected); advances *pos. False on "." alone.
bool ReadFraction(std::string_view s, size_t* pos, std::chrono::nanoseconds* out) {
  size_t start = ++*pos;
  long long ns = 0;
  for (; *pos < s.size() && s[*pos] >= '0' && s[*pos] <= '9'; ++*pos) {
    if (*pos - start < 9) ns = ns * 10 + (s[*pos] - '0');
  }
  if (*pos == start) return false;
  for (size_t digits = *pos - start; digits < 9; ++digits) ns *= 10;
  *out = std::chrono::nanoseconds(ns);
  return true;
}

// The zone at s[*pos]: Z, +hh:mm, +hhmm, -... or nothing. Advances *pos; false when malformed.
bool ReadZone(std::string_view s, size_t* pos, std::chrono::seconds* offset) {
  if (*pos == s.size()) return true;
  if (s[*pos] == 'Z' || s[*pos] == 'z') return ++*pos, true;
  if (s[*pos] != '+' && s[*pos] != '-') return false;
  int sign = s[*pos] == '-' ? -1 : 1;
  int hours, minutes;
  if (!ReadDigits(s, *pos + 1, 2, &hours)) return false;
  size_t mpos = *pos + 3;
  if (mpos < s.size() && s[mpos] == ':') ++mpos;
  if (!ReadDigits(s, mpos, 2, &minutes) || hours > 23 || minutes > 59) return false;
  *offset = std::chrono::seconds(sign * (hours * 3600 + minutes * 60));
  *pos = mpos + 2;
  return true;
}

}  // namespace

std::string FormatUtc(TimePoint t, const char* strftime_format) {
  std::tm tm = ToUtc(t);
  char buf[128];
  size_t n = std::strftime(buf, sizeof buf, strftime_format, &tm);
  return std::string(buf, n);
}

std::string FormatAmzDate(TimePoint t) { return FormatUtc(t, "%Y%m%dT%H%M%SZ"); }

std::string FormatIso8601(TimePoint t) { return FormatUtc(t, "%Y-%m-%dT%H:%M:%SZ"); }

std::string FormatIso8601Millis(TimePoint t) {
  auto millis =
      std::chrono::floor<std::chrono::milliseconds>(t) - std::chrono::floor<std::chrono::seconds>(t);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", static_cast<int>(millis.count()));
  return FormatUtc(t, "%Y-%m-%dT%H:%M:%S") + ms;
}

std::string FormatHttpDate(TimePoint t) {
  std::tm tm = ToUtc(t);
  return std::string(kDays[tm.tm_wday]) + FormatUtc(t, ", %d ") + kMonths[tm.tm_mon] +
         FormatUtc(t, " %Y %H:%M:%S GMT");
}

bool ParseIso8601(std::string_view s, TimePoint* out) {
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || !ReadDigits(s, 0, 4, &y) || s[4] != '-' || !ReadDigits(s, 5, 2, &mo) || s[7] != '-' ||
      !ReadDigits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !ReadDigits(s, 11, 2, &h) || s[13] != ':' || !ReadDigits(s, 14, 2, &mi) || s[16] != ':' ||
      !ReadDigits(s, 17, 2, &se)) {
    return false;
  }
  size_t pos = 19;
  std::chrono::nanoseconds fraction{0};
  if (pos < s.size() && s[pos] == '.' && !ReadFraction(s, &pos, &fraction)) return false;
  std::chrono::seconds offset{0};
  if (!ReadZone(s, &pos, &offset) || pos != s.size()) return false;
  std::optional<TimePoint> base = FromUtc(y, mo, d, h, mi, se);
  if (!base) return false;
  *out = *base + std::chrono::duration_cast<TimePoint::duration>(fraction) - offset;
  return true;
}

bool ParseHttpDate(std::string_view s, TimePoint* out) {
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return false;
  std::string rest(s.substr(comma + 1));
  int day, year, h, mi, se;
  char mon[4] = {0};
  char zone[8] = {0};
  int fields = std::sscanf(rest.c_str(), " %d %3s %d %d:%d:%d %7s", &day, mon, &year, &h, &mi, &se, zone);
  if (fields < 6) return false;
  std::string z(zone);
  if (!z.empty() && z != "GMT" && z != "UTC" && z != "Z" && z != "+0000") return false;
  for (int m = 0; m < 12; ++m) {
    if (std::string_view(kMonths[m]) != mon) continue;
    std::optional<TimePoint> t = FromUtc(year, m + 1, day, h, mi, se);
    if (!t) return false;
    *out = *t;
    return true;
  }
  return false;
}

double SecondsBetweenIso8601(const std::string& start, const std::string& end) {
  TimePoint a, b;
  if (!ParseIso8601(start, &a) || !ParseIso8601(end, &b) || b < a) return 0;
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace fleetpatch
