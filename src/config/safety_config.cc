#include "config/safety_config.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdio>

#include "common/strings.h"

namespace fleetpatch::config {
namespace {

template <typename E, size_t N>
bool ParseName(const std::array<E, N>& all, const char* (*name)(E), const std::string& s, E* out) {
  for (E e : all) {
    if (s == name(e)) {
      *out = e;
      return true;
    }
  }
  return false;
}

bool Digits(const std::string& s, size_t at, size_t n) {
  if (s.size() < at + n) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at),
                     s.begin() + static_cast<std::ptrdiff_t>(at + n),
                     [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

const char* RollbackModeName(RollbackMode m) {
  switch (m) {
    case RollbackMode::kAuto:
      return "auto";
    case RollbackMode::kManual:
      return "manual";
    case RollbackMode::kOff:
      return "off";
  }
  return "manual";
}

bool ParseRollbackMode(const std::string& s, RollbackMode* out) {
  return ParseName(std::array{RollbackMode::kAuto, RollbackMode::kManual, RollbackMode::kOff},
                   RollbackModeName, s, out);
}

const char* AutoScalingModeName(AutoScalingMode m) {
  switch (m) {
    case AutoScalingMode::kStandby:
      return "standby";
    case AutoScalingMode::kSuspend:
      return "suspend";
    case AutoScalingMode::kSkip:
      return "skip";
  }
  return "standby";
}

bool ParseAutoScalingMode(const std::string& s, AutoScalingMode* out) {
  return ParseName(std::array{AutoScalingMode::kStandby, AutoScalingMode::kSuspend, AutoScalingMode::kSkip},
                   AutoScalingModeName, s, out);
}

Result<int> ParseWeekday(const std::string& s) {
  static const std::array<const char*, 7> kNames = {"sunday",   "monday", "tuesday", "wednesday",
                                                    "thursday", "friday", "saturday"};
  std::string lower = Lower(s);
  for (int i = 0; i < 7; ++i) {
    std::string full = kNames[static_cast<size_t>(i)];
    if (lower == full || lower == full.substr(0, 3)) return i;
  }
  return Error::Config("unknown day '" + s + "': use mon, tue, wed, thu, fri, sat or sun");
}

Result<int> ParseClockTime(const std::string& s) {
  if (s.size() != 5 || s[2] != ':' || !Digits(s, 0, 2) || !Digits(s, 3, 2)) {
    return Error::Config("invalid time '" + s + "': use HH:MM, 00:00 to 24:00");
  }
  int h = std::stoi(s.substr(0, 2));
  int m = std::stoi(s.substr(3, 2));
  if (h > 24 || m > 59 || (h == 24 && m != 0)) {
    return Error::Config("invalid time '" + s + "': use HH:MM, 00:00 to 24:00");
  }
  return h * 60 + m;
}

Status ValidateDate(const std::string& s) {
  auto bad = [&] { return Error::Config("invalid date '" + s + "': use YYYY-MM-DD, e.g. 2026-12-24"); };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !Digits(s, 0, 4) || !Digits(s, 5, 2) ||
      !Digits(s, 8, 2)) {
    return bad();
  }
  std::chrono::year_month_day d{std::chrono::year(std::stoi(s.substr(0, 4))),
                                std::chrono::month(static_cast<unsigned>(std::stoi(s.substr(5, 2)))),
                                std::chrono::day(static_cast<unsigned>(std::stoi(s.substr(8, 2))))};
  if (!d.ok()) return bad();
  return OkStatus();
}

}  // namespace fleetpatch::config
