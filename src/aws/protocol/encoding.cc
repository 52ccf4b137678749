#include "aws/protocol/encoding.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace fleetpatch::aws::protocol {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Splits epoch seconds into whole seconds and milliseconds, rounding to the nearest millisecond.
void Split(double epoch_seconds, std::time_t* whole, int* millis) {
  long long total_ms = std::llround(epoch_seconds * 1000.0);
  long long secs = total_ms / 1000;
  long long ms = total_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  *whole = static_cast<std::time_t>(secs);
  *millis = static_cast<int>(ms);
}

bool ReadInt(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

std::optional<double> ToEpoch(int year, int mon, int day, int hour, int min, int sec) {
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<double>(timegm(&tm));
}

std::optional<double> ParseIso(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (s.size() < 19 || !ReadInt(s, 0, 4, &y) || s[4] != '-' || !ReadInt(s, 5, 2, &mo) || s[7] != '-' ||
      !ReadInt(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ReadInt(s, 11, 2, &h) ||
      s[13] != ':' || !ReadInt(s, 14, 2, &mi) || s[16] != ':' || !ReadInt(s, 17, 2, &se)) {
    return std::nullopt;
  }
  size_t pos = 19;
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return std::nullopt;
    std::string digits = "0." + std::string(s.substr(start, pos - start));
    frac = std::strtod(digits.c_str(), nullptr);
  }
  int offset_s = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' || s[pos] == 'z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int sign = s[pos] == '-' ? -1 : 1;
      int oh, om;
      if (!ReadInt(s, pos + 1, 2, &oh)) return std::nullopt;
      size_t mpos = pos + 3;
      if (mpos < s.size() && s[mpos] == ':') ++mpos;
      if (!ReadInt(s, mpos, 2, &om)) return std::nullopt;
      offset_s = sign * (oh * 3600 + om * 60);
      pos = mpos + 2;
    }
  }
  if (pos != s.size()) return std::nullopt;
  auto base = ToEpoch(y, mo, d, h, mi, se);
  if (!base) return std::nullopt;
  return *base + frac - offset_s;
}

std::optional<double> ParseRfc822(std::string_view s) {
  // "Tue, 29 Apr 2014 18:30:38 GMT"
  size_t comma = s.find(',');
  if (comma == std::string_view::npos) return std::nullopt;
  std::string rest(s.substr(comma + 1));
  int day, year, h, mi, se;
  char mon[4] = {0};
  char zone[8] = {0};
  if (std::sscanf(rest.c_str(), " %d %3s %d %d:%d:%d %7s", &day, mon, &year, &h, &mi, &se, zone) < 6) {
    return std::nullopt;
  }
  std::string z(zone);
  if (!z.empty() && z != "GMT" && z != "UTC" && z != "Z" && z != "+0000") return std::nullopt;
  for (int m = 0; m < 12; ++m) {
    if (std::string_view(kMonths[m]) == mon) return ToEpoch(year, m + 1, day, h, mi, se);
  }
  return std::nullopt;
}

}  // namespace

std::string FormatTimestampIso8601(double epoch_seconds) {
  std::time_t whole;
  int ms;
  Split(epoch_seconds, &whole, &ms);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[64];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  }
  return buf;
}

std::string FormatTimestampRfc822(double epoch_seconds) {
  std::time_t whole;
  int ms;
  Split(epoch_seconds, &whole, &ms);
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string FormatTimestampEpoch(double epoch_seconds) {
  std::time_t whole;
  int ms;
  Split(epoch_seconds, &whole, &ms);
  char buf[64];
  if (ms == 0) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(whole));
  } else {
    std::snprintf(buf, sizeof buf, "%lld.%03d", static_cast<long long>(whole), ms);
    std::string s(buf);
    while (s.back() == '0') s.pop_back();
    return s;
  }
  return buf;
}

std::optional<double> ParseTimestamp(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && ptr == text.data() + text.size()) return v;
  if (text.find(',') != std::string_view::npos) return ParseRfc822(text);
  return ParseIso(text);
}

}  // namespace fleetpatch::aws::protocol
