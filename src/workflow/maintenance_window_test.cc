#include "workflow/maintenance_window.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/time_format.h"

namespace fleetpatch::workflow {
namespace {

using ::testing::HasSubstr;

std::chrono::sys_seconds At(const std::string& iso) {
  std::chrono::system_clock::time_point t;
  EXPECT_TRUE(ParseIso8601(iso, &t)) << iso;
  return std::chrono::floor<std::chrono::seconds>(t);
}

std::string Iso(std::chrono::sys_seconds t) { return FormatIso8601(t); }

config::WindowConfig Berlin() {
  config::WindowConfig c;
  c.enabled = true;
  c.days = {5, 6};  // Friday, Saturday
  c.start_minute = 22 * 60;
  c.end_minute = 2 * 60;  // past midnight
  c.time_zone = "Europe/Berlin";
  return c;
}

MaintenanceWindow Make(const config::WindowConfig& c) {
  auto w = MaintenanceWindow::Create(c);
  EXPECT_TRUE(w.ok()) << w.error().message;
  return std::move(w).value();
}

TEST(MaintenanceWindow, DisabledIsAlwaysOpen) {
  auto w = Make(config::WindowConfig{});
  EXPECT_TRUE(w.At(At("2026-12-02T12:00:00Z")).open);
}

TEST(MaintenanceWindow, OpensAndClosesInLocalTime) {
  auto w = Make(Berlin());
  // 2026-12-04 is a Friday; Berlin is UTC+1 in winter: 22:00 local = 21:00Z.
  WindowState s = w.At(At("2026-12-04T20:59:00Z"));
  EXPECT_FALSE(s.open);
  ASSERT_TRUE(s.next_open);
  EXPECT_EQ(Iso(*s.next_open), "2026-12-04T21:00:00Z");
  s = w.At(At("2026-12-04T21:00:00Z"));
  EXPECT_TRUE(s.open);
  ASSERT_TRUE(s.closes_at);
  EXPECT_EQ(Iso(*s.closes_at), "2026-12-05T01:00:00Z");  // Saturday 02:00 local
  // Saturday 01:30 local belongs to Friday's window.
  EXPECT_TRUE(w.At(At("2026-12-05T00:30:00Z")).open);
  // Sunday 01:00 local belongs to Saturday's window; Sunday 03:00 is closed until next Friday.
  EXPECT_TRUE(w.At(At("2026-12-06T00:00:00Z")).open);
  s = w.At(At("2026-12-06T02:00:00Z"));
  EXPECT_FALSE(s.open);
  EXPECT_EQ(Iso(*s.next_open), "2026-12-11T21:00:00Z");
  EXPECT_THAT(w.DescribeNextOpening(s),
              HasSubstr("2026-12-11T21:00:00Z (Fri 2026-12-11 22:00 Europe/Berlin)"));
}

TEST(MaintenanceWindow, SummerTimeMovesTheUtcInstant) {
  auto w = Make(Berlin());
  // 2026-07-03 is a Friday; Berlin is UTC+2 in summer.
  WindowState s = w.At(At("2026-07-03T12:00:00Z"));
  EXPECT_EQ(Iso(*s.next_open), "2026-07-03T20:00:00Z");
}

TEST(MaintenanceWindow, BlackoutDatesNeitherOpenNorRunInto) {
  config::WindowConfig c = Berlin();
  c.blackout_dates = {"2026-12-11"};  // the next Friday
  auto w = Make(c);
  WindowState s = w.At(At("2026-12-10T12:00:00Z"));
  EXPECT_EQ(Iso(*s.next_open), "2026-12-12T21:00:00Z");  // Saturday's window instead
  c.blackout_dates = {"2026-12-05"};                     // the Saturday: Friday's window closes at midnight
  w = Make(c);
  s = w.At(At("2026-12-04T22:00:00Z"));
  EXPECT_TRUE(s.open);
  EXPECT_EQ(Iso(*s.closes_at), "2026-12-04T23:00:00Z");
  EXPECT_FALSE(w.At(At("2026-12-04T23:30:00Z")).open);
}

TEST(MaintenanceWindow, NoOpeningWithinAYearIsSaid) {
  config::WindowConfig c;
  c.enabled = true;
  c.days = {1};
  c.start_minute = 0;
  c.end_minute = 60;
  for (int d = 0; d < 420; ++d) {
    std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} +
                                    std::chrono::days(d)};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    c.blackout_dates.push_back(buf);
  }
  auto w = Make(c);
  WindowState s = w.At(At("2026-12-02T00:00:00Z"));
  EXPECT_FALSE(s.open);
  EXPECT_FALSE(s.next_open);
  EXPECT_THAT(w.DescribeNextOpening(s), HasSubstr("does not open within a year"));
}

TEST(MaintenanceWindow, BadInputIsAConfigErrorNamingIt) {
  config::WindowConfig c = Berlin();
  c.time_zone = "Mars/Olympus";
  auto w = MaintenanceWindow::Create(c);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(w.error().message, HasSubstr("Mars/Olympus"));
  c = Berlin();
  c.blackout_dates = {"2026-02-30"};
  ASSERT_FALSE(MaintenanceWindow::Create(c).ok());
}

}  // namespace
}  // namespace fleetpatch::workflow
