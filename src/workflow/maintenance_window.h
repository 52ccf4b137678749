// MaintenanceWindow: whether a new wave may start now, per workflow.window (days, start, end, time
// zone, blackout dates). Outside the window no new wave starts; work in flight finishes, and the
// run stops resumable, saying when the window next opens.
// A window belongs to the local day it starts on: "fri 22:00-02:00" runs into Saturday. It does
// not open on a blackout date, and one that runs into a blackout date closes at its midnight.
// Thread-safety: immutable after construction; safe to share.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "common/error.h"
#include "common/time_zone.h"
#include "config/safety_config.h"

namespace fleetpatch::workflow {

struct WindowState {
  bool open = true;
  std::optional<std::chrono::sys_seconds> closes_at;  // open: when this window closes (none: always open)
  std::optional<std::chrono::sys_seconds>
      next_open;  // closed: when the next window opens (none: never in a year)
};

class MaintenanceWindow {
 public:
  // kConfig for a bad day, date or time zone (naming it). A disabled window is always open.
  static Result<MaintenanceWindow> Create(const config::WindowConfig& config, const std::string& tzdir = "");
  MaintenanceWindow(config::WindowConfig config, TimeZone tz)
      : config_(std::move(config)), tz_(std::move(tz)) {}

  WindowState At(std::chrono::sys_seconds now) const;
  // "the maintenance window opens next at 2026-12-05T22:00:00Z (Sat 23:00 Europe/Berlin)", or a
  // sentence that no window opens within a year.
  std::string DescribeNextOpening(const WindowState& state) const;

 private:
  bool OpensOn(std::chrono::sys_days local_day) const;
  bool IsBlackout(std::chrono::sys_days local_day) const;

  config::WindowConfig config_;
  TimeZone tz_;
};

}  // namespace fleetpatch::workflow
