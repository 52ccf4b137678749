#include "config/safety_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"

namespace fleetpatch::config {
namespace {

using ::testing::HasSubstr;

TEST(SafetyConfig, DefaultsAreTheDocumentedOnes) {
  Config config;
  const PatchConfig& c = config.patch;
  EXPECT_EQ(config.workflow.timeouts.reboot, std::chrono::minutes(15));
  EXPECT_TRUE(config.workflow.phases.postcheck);
  EXPECT_EQ(c.rollback, RollbackMode::kManual);
  EXPECT_FALSE(c.delete_replaced_root_volume);
  EXPECT_EQ(c.auto_scaling, AutoScalingMode::kStandby);
  EXPECT_FALSE(c.max_unavailable.has_value());
  EXPECT_FALSE(c.fail_on_pending_reboot);
  EXPECT_FALSE(config.workflow.window.enabled);
}

TEST(SafetyConfig, ModesRoundTrip) {
  for (auto m : {RollbackMode::kAuto, RollbackMode::kManual, RollbackMode::kOff}) {
    RollbackMode back{};
    ASSERT_TRUE(ParseRollbackMode(RollbackModeName(m), &back));
    EXPECT_EQ(back, m);
  }
  for (auto m : {AutoScalingMode::kStandby, AutoScalingMode::kSuspend, AutoScalingMode::kSkip}) {
    AutoScalingMode back{};
    ASSERT_TRUE(ParseAutoScalingMode(AutoScalingModeName(m), &back));
    EXPECT_EQ(back, m);
  }
  RollbackMode r = RollbackMode::kOff;
  EXPECT_FALSE(ParseRollbackMode("Auto", &r));
  EXPECT_EQ(r, RollbackMode::kOff);
}

TEST(SafetyConfig, WindowScalars) {
  EXPECT_EQ(*ParseWeekday("mon"), 1);
  EXPECT_EQ(*ParseWeekday("Sunday"), 0);
  EXPECT_EQ(*ParseWeekday("SAT"), 6);
  EXPECT_THAT(ParseWeekday("weekend").error().message, HasSubstr("mon, tue"));
  EXPECT_EQ(*ParseClockTime("22:30"), 22 * 60 + 30);
  EXPECT_EQ(*ParseClockTime("24:00"), 24 * 60);
  for (const char* bad : {"24:01", "7:00", "07:60", "0700", "ab:cd"}) {
    auto r = ParseClockTime(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
  }
  EXPECT_TRUE(ValidateDate("2028-02-29").ok());
  EXPECT_FALSE(ValidateDate("2026-02-29").ok());
  EXPECT_FALSE(ValidateDate("2026-1-01").ok());
}

}  // namespace
}  // namespace fleetpatch::config

namespace fleetpatch::config {
namespace {

TEST(SafetyConfig, EffectiveConfigJsonShowsTheKeysWhereTheYamlHasThem) {
  Config c;
  c.patch.rollback = RollbackMode::kAuto;
  c.patch.max_unavailable = CountOrPercent{true, 25};
  c.workflow.window.enabled = true;
  c.workflow.window.days = {5, 6};
  c.workflow.window.start_minute = 22 * 60;
  c.workflow.window.end_minute = 90;
  nlohmann::json j = ConfigToJson(c);
  EXPECT_EQ(j["patch"]["rollback"], "auto");
  EXPECT_EQ(j["patch"]["max_unavailable"], "25%");
  EXPECT_EQ(j["patch"]["auto_scaling"], "standby");
  EXPECT_EQ(j["patch"]["reboot_option"], "RebootIfNeeded");  // the section's own keys stay
  EXPECT_EQ(j["workflow"]["timeouts"]["reboot"], 900);
  EXPECT_EQ(j["workflow"]["timeouts"]["patch_execution"], 3600);
  EXPECT_EQ(j["workflow"]["window"]["days"], nlohmann::json({"fri", "sat"}));
  EXPECT_EQ(j["workflow"]["window"]["start"], "22:00");
  EXPECT_EQ(j["workflow"]["window"]["end"], "01:30");
  // No window section: the defaults, a window open all day every day.
  nlohmann::json d = ConfigToJson(Config{});
  EXPECT_EQ(d["workflow"]["window"]["start"], "00:00");
  EXPECT_EQ(d["workflow"]["window"]["end"], "00:00");
  EXPECT_TRUE(d["patch"]["max_unavailable"].is_null());
}

}  // namespace
}  // namespace fleetpatch::config
