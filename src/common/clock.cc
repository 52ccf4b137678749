#include "common/clock.h"

#include <cstdio>
#include <ctime>
#include <thread>

namespace fleetpatch {

void RealClock::SleepFor(std::chrono::nanoseconds d) {
  if (d.count() > 0) std::this_thread::sleep_for(d);
}

RealClock& DefaultClock() {
  static RealClock clock;
  return clock;
}

namespace {
std::tm ToUtc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return tm;
}
}  // namespace

std::string FormatAmzDate(std::chrono::system_clock::time_point t) {
  std::tm tm = ToUtc(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string FormatIso8601(std::chrono::system_clock::time_point t) {
  std::tm tm = ToUtc(t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ParseIso8601(const std::string& s, std::chrono::system_clock::time_point* out) {
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6) return false;
  std::string rest = s.substr(static_cast<size_t>(consumed));
  size_t i = 0;
  if (i < rest.size() && rest[i] == '.') {
    ++i;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
  }
  std::string zone = rest.substr(i);
  if (zone != "Z" && zone != "+00:00" && zone != "") return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  std::time_t tt = timegm(&tm);
  *out = std::chrono::system_clock::from_time_t(tt);
  return true;
}

double SecondsBetweenIso8601(const std::string& start, const std::string& end) {
  std::chrono::system_clock::time_point a, b;
  if (!ParseIso8601(start, &a) || !ParseIso8601(end, &b) || b < a) return 0;
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace fleetpatch
