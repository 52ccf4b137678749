#include "common/time_zone.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

using std::chrono::hours;
using std::chrono::seconds;
using std::chrono::sys_days;
using ::testing::HasSubstr;

TimeZone Berlin() {
  auto tz = TimeZone::Load("Europe/Berlin");
  EXPECT_TRUE(tz.ok()) << tz.error().message;  // tzdata is a CI dependency (scripts/install-deps.sh)
  return tz.ok() ? *tz : TimeZone::Utc();
}

TEST(TimeZone, OffsetsFollowDaylightSavingTime) {
  TimeZone tz = Berlin();
  sys_days winter = std::chrono::year{2026} / 12 / 4;
  sys_days summer = std::chrono::year{2026} / 7 / 3;
  EXPECT_EQ(tz.OffsetAt(winter + hours(12)), hours(1));
  EXPECT_EQ(tz.OffsetAt(summer + hours(12)), hours(2));
  // 2026-03-29 01:00Z: clocks go from 02:00 CET to 03:00 CEST.
  sys_days change = std::chrono::year{2026} / 3 / 29;
  EXPECT_EQ(tz.OffsetAt(change + hours(1) - seconds(1)), hours(1));
  EXPECT_EQ(tz.OffsetAt(change + hours(1)), hours(2));
}

TEST(TimeZone, LocalToUtcRoundTripsAndHandlesTheGap) {
  TimeZone tz = Berlin();
  sys_days day = std::chrono::year{2026} / 12 / 4;
  std::chrono::local_seconds local{(day + hours(22)).time_since_epoch()};
  EXPECT_EQ(tz.ToUtc(local), day + hours(21));
  EXPECT_EQ(tz.ToLocal(tz.ToUtc(local)), local);
  // 02:30 on 2026-03-29 does not exist in Berlin: taken with the offset before the gap (+1).
  sys_days change = std::chrono::year{2026} / 3 / 29;
  std::chrono::local_seconds gap{(change + hours(2) + std::chrono::minutes(30)).time_since_epoch()};
  EXPECT_EQ(tz.ToUtc(gap), change + hours(1) + std::chrono::minutes(30));
  // 02:30 on 2026-10-25 happens twice: the earlier instant (CEST, +2).
  sys_days back = std::chrono::year{2026} / 10 / 25;
  std::chrono::local_seconds twice{(back + hours(2) + std::chrono::minutes(30)).time_since_epoch()};
  EXPECT_EQ(tz.ToUtc(twice), back + std::chrono::minutes(30));
}

TEST(TimeZone, UtcNeedsNoFile) {
  auto tz = TimeZone::Load("UTC", "/nonexistent");
  ASSERT_TRUE(tz.ok());
  EXPECT_EQ(tz->OffsetAt(sys_days{std::chrono::year{2026} / 1 / 1}), seconds(0));
}

TEST(TimeZone, BadNamesAndFilesAreErrorsNamingThem) {
  for (const char* bad : {"../etc/passwd", "/etc/localtime", "Europe/Ber lin", ""}) {
    auto tz = TimeZone::Load(bad);
    ASSERT_FALSE(tz.ok()) << bad;
    EXPECT_EQ(tz.error().category, ErrorCategory::kConfig);
  }
  auto tz = TimeZone::Load("Europe/Nowhere");
  ASSERT_FALSE(tz.ok());
  EXPECT_THAT(tz.error().message, HasSubstr("Europe/Nowhere"));
  EXPECT_FALSE(TimeZone::FromTzif("x", "not a tzif file at all, long enough to have a header......").ok());
  EXPECT_FALSE(TimeZone::FromTzif("x", "TZif2").ok());
}

}  // namespace
}  // namespace fleetpatch
