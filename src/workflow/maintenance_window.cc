#include "workflow/maintenance_window.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "common/time_format.h"

namespace fleetpatch::workflow {
namespace {

using std::chrono::days;
using std::chrono::local_seconds;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

constexpr int kSearchDays = 400;  // a year and a bit: blackouts can close the window for weeks

std::string DateOf(sys_days d) { return FormatUtc(d, "%Y-%m-%d"); }

local_seconds LocalAt(sys_days day, int minute) {
  return local_seconds{(day + minutes(minute)).time_since_epoch()};
}

}  // namespace

Result<MaintenanceWindow> MaintenanceWindow::Create(const config::WindowConfig& config,
                                                    const std::string& tzdir) {
  for (int d : config.days) {
    if (d < 0 || d > 6)
      return Error::Config(fmt::format("workflow.window.days: day {} is not 0 (Sunday)..6", d));
  }
  for (const std::string& date : config.blackout_dates) FP_RETURN_IF_ERROR(config::ValidateDate(date));
  if (!config.enabled) return MaintenanceWindow(config, TimeZone::Utc());
  FP_ASSIGN_OR_RETURN(TimeZone tz, TimeZone::Load(config.time_zone, tzdir));
  return MaintenanceWindow(config, std::move(tz));
}

bool MaintenanceWindow::IsBlackout(sys_days day) const {
  const auto& b = config_.blackout_dates;
  return std::find(b.begin(), b.end(), DateOf(day)) != b.end();
}

bool MaintenanceWindow::OpensOn(sys_days day) const {
  if (IsBlackout(day)) return false;
  if (config_.days.empty()) return true;
  int wd = static_cast<int>(std::chrono::weekday(day).c_encoding());
  return std::find(config_.days.begin(), config_.days.end(), wd) != config_.days.end();
}

WindowState MaintenanceWindow::At(sys_seconds now) const {
  if (!config_.enabled) return {};
  sys_days today{std::chrono::floor<days>(tz_.ToLocal(now)).time_since_epoch()};
  int length = config_.end_minute - config_.start_minute;
  if (length <= 0) length += 24 * 60;
  for (sys_days day = today - days(1); day <= today + days(kSearchDays); day += days(1)) {
    if (!OpensOn(day)) continue;
    sys_seconds open = tz_.ToUtc(LocalAt(day, config_.start_minute));
    int close_minute = config_.start_minute + length;
    // A window running past midnight into a blackout date closes at that midnight.
    if (close_minute > 24 * 60 && IsBlackout(day + days(1))) close_minute = 24 * 60;
    sys_seconds close = tz_.ToUtc(LocalAt(day, close_minute));
    if (now >= open && now < close) return {true, close, std::nullopt};
    if (open > now) return {false, std::nullopt, open};
  }
  return {false, std::nullopt, std::nullopt};
}

std::string MaintenanceWindow::DescribeNextOpening(const WindowState& state) const {
  if (state.open) return "the maintenance window is open";
  if (!state.next_open) return "the maintenance window does not open within a year (check workflow.window)";
  local_seconds local = tz_.ToLocal(*state.next_open);
  sys_days day{std::chrono::floor<days>(local).time_since_epoch()};
  auto mins = std::chrono::duration_cast<minutes>(local - local_seconds{day.time_since_epoch()}).count();
  static const std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  return fmt::format("the maintenance window opens next at {} ({} {} {:02}:{:02} {})",
                     FormatIso8601(*state.next_open), kDays[std::chrono::weekday(day).c_encoding()],
                     DateOf(day), mins / 60, mins % 60, tz_.name());
}

}  // namespace fleetpatch::workflow
