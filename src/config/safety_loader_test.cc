// The safety-loop keys (docs/safety.md) as the loader reads them from the workflow config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"

namespace fleetpatch::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Result<Config> Load(const std::string& yaml) { return LoadConfigString(yaml, "c.yml", ".", MapEnv({})); }

TEST(SafetyLoader, ReadsEveryKey) {
  auto c = Load(R"(
workflow:
  phases: {postcheck: false}
  timeouts: {reboot: 20m}
  window:
    days: [fri, Sat]
    start: "22:00"
    end: "02:30"
    time_zone: Europe/Berlin
    blackout_dates: [2026-12-24]
patch:
  reboot_option: NoReboot
  rollback: auto
  delete_replaced_root_volume: true
  auto_scaling: suspend
  max_unavailable: 25%
  max_unavailable_tags: [App]
  fail_on_pending_reboot: true
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const WindowConfig& w = c->workflow.window;
  const PatchConfig& s = c->patch;
  EXPECT_FALSE(c->workflow.phases.postcheck);
  EXPECT_EQ(c->workflow.timeouts.reboot, std::chrono::minutes(20));
  EXPECT_TRUE(w.enabled);
  EXPECT_THAT(w.days, ElementsAre(5, 6));
  EXPECT_EQ(w.start_minute, 22 * 60);
  EXPECT_EQ(w.end_minute, 2 * 60 + 30);
  EXPECT_EQ(w.time_zone, "Europe/Berlin");
  EXPECT_THAT(w.blackout_dates, ElementsAre("2026-12-24"));
  EXPECT_EQ(s.rollback, RollbackMode::kAuto);
  EXPECT_TRUE(s.delete_replaced_root_volume);
  EXPECT_EQ(s.auto_scaling, AutoScalingMode::kSuspend);
  ASSERT_TRUE(s.max_unavailable.has_value());
  EXPECT_TRUE(s.max_unavailable->percent);
  EXPECT_EQ(s.max_unavailable->value, 25);
  EXPECT_THAT(s.max_unavailable_tags, ElementsAre("App"));
  EXPECT_TRUE(s.fail_on_pending_reboot);
  EXPECT_EQ(c->patch.reboot_option, RebootOption::kNoReboot);  // the section's own keys still read
}

TEST(SafetyLoader, AbsentKeysKeepTheDefaults) {
  auto c = Load("version: 1\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->patch.rollback, RollbackMode::kManual);
  EXPECT_EQ(c->patch.auto_scaling, AutoScalingMode::kStandby);
  EXPECT_FALSE(c->workflow.window.enabled);
}

TEST(SafetyLoader, BadValuesNameTheFieldAndWhatIsAllowed) {
  struct Case {
    const char* yaml;
    const char* says;
  };
  const Case cases[] = {
      {"patch: {rollback: always}\n", "patch.rollback"},
      {"patch: {auto_scaling: detach}\n", "suspend"},
      {"patch: {max_unavailable: 120%}\n", "patch.max_unavailable"},
      {"workflow: {timeouts: {reboot: 5s}}\n", "workflow.timeouts.reboot"},
      {"workflow: {window: {days: [someday]}}\n", "unknown day 'someday'"},
      {"workflow: {window: {start: '25:00'}}\n", "invalid time '25:00'"},
      {"workflow: {window: {time_zone: Mars/Olympus}}\n", "unknown time zone 'Mars/Olympus'"},
      {"workflow: {window: {blackout_dates: [2026-13-01]}}\n", "invalid date '2026-13-01'"},
      {"workflow: {window: {hours: 3}}\n", "unknown key \"hours\""},
  };
  for (const Case& k : cases) {
    auto c = Load(k.yaml);
    ASSERT_FALSE(c.ok()) << k.yaml;
    EXPECT_EQ(c.error().category, ErrorCategory::kConfig) << k.yaml;
    EXPECT_THAT(c.error().message, HasSubstr(k.says)) << k.yaml;
    EXPECT_THAT(c.error().message, HasSubstr("c.yml:")) << k.yaml;
  }
}

}  // namespace
}  // namespace fleetpatch::config
