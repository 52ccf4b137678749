// The types of the safety-loop settings (rollback and Auto Scaling modes, the maintenance window;
// docs/safety.md), part of config.h, and the parsers for the window's scalar forms. The keys that
// carry them are rows of the field table (fields.cc); every initializer here is its default.
// Thread-safety: plain values and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace fleetpatch::config {

enum class RollbackMode { kAuto, kManual, kOff };
const char* RollbackModeName(RollbackMode m);  // "auto" | "manual" | "off"
bool ParseRollbackMode(const std::string& s, RollbackMode* out);

enum class AutoScalingMode { kStandby, kSuspend, kSkip };
const char* AutoScalingModeName(AutoScalingMode m);  // "standby" | "suspend" | "skip"
bool ParseAutoScalingMode(const std::string& s, AutoScalingMode* out);

// workflow.window: when new waves may start. Not set: always.
struct WindowConfig {
  bool enabled = false;                     // Default: false (no window: any time)
  std::vector<int> days;                    // 0 = Sunday .. 6 = Saturday; Default: [] = every day
  int start_minute = 0;                     // minutes after local midnight; Default: 0 (00:00)
  int end_minute = 0;                       // end <= start: the window runs past midnight; equal: 24 h
  std::string time_zone = "UTC";            // Default: "UTC"; an IANA name from the system tz database
  std::vector<std::string> blackout_dates;  // local dates YYYY-MM-DD on which no window opens
};

// "mon".."sun" (or full names, any case) -> 1..6, 0. kConfig naming what is allowed.
Result<int> ParseWeekday(const std::string& s);
// "HH:MM" (00:00-24:00) -> minutes after midnight.
Result<int> ParseClockTime(const std::string& s);
// "YYYY-MM-DD", a real calendar date.
Status ValidateDate(const std::string& s);

}  // namespace fleetpatch::config
