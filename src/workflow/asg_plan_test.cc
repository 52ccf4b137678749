#include "workflow/asg_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(AsgPlan, NonMembersNeedNothing) {
  for (auto mode : {AutoScalingMode::kStandby, AutoScalingMode::kSuspend, AutoScalingMode::kSkip}) {
    EXPECT_EQ(PlanBeforePatch(mode, std::nullopt).action, AsgAction::kNone);
  }
}

TEST(AsgPlan, EachModeForAnInServiceMember) {
  GroupMembership m{"web-asg", "InService"};
  AsgStep s = PlanBeforePatch(AutoScalingMode::kStandby, m);
  EXPECT_EQ(s.action, AsgAction::kEnterStandby);
  EXPECT_EQ(s.group, "web-asg");
  EXPECT_EQ(PlanBeforePatch(AutoScalingMode::kSuspend, m).action, AsgAction::kSuspendGroup);
  s = PlanBeforePatch(AutoScalingMode::kSkip, m);
  EXPECT_EQ(s.action, AsgAction::kIneligible);
  EXPECT_THAT(s.reason, HasSubstr("patch.auto_scaling is skip"));
}

TEST(AsgPlan, OtherLifecycleStates) {
  AsgStep s = PlanBeforePatch(AutoScalingMode::kStandby, GroupMembership{"web-asg", "Standby"});
  EXPECT_EQ(s.action, AsgAction::kNone);  // not ours to move back
  EXPECT_THAT(s.reason, HasSubstr("left as found"));
  s = PlanBeforePatch(AutoScalingMode::kSuspend, GroupMembership{"web-asg", "Terminating"});
  EXPECT_EQ(s.action, AsgAction::kIneligible);
  EXPECT_THAT(s.reason, HasSubstr("Terminating"));
}

TEST(AsgPlan, ExitStandbyOnlyWhenKnownGood) {
  EXPECT_TRUE(ShouldExitStandby("success", "healthy", ""));
  EXPECT_FALSE(ShouldExitStandby("success", "degraded", ""));
  EXPECT_FALSE(ShouldExitStandby("success", "unreachable", ""));
  EXPECT_TRUE(ShouldExitStandby("failed", "degraded", "rolled_back"));
  EXPECT_FALSE(ShouldExitStandby("failed", "", "rollback_failed"));
  EXPECT_FALSE(ShouldExitStandby("failed", "", "rollback_unsupported"));
  EXPECT_TRUE(ShouldExitStandby("installed_pending_reboot", "", ""));
  EXPECT_FALSE(ShouldExitStandby("failed", "", ""));
}

TEST(AsgPlan, RestoreEverythingLeftExceptGroupsStillPatching) {
  LeftBehind left;
  left.standby = {{"web-asg", "i-1"}, {"web-asg", "i-2"}, {"api-asg", "i-3"}};
  left.suspended_groups = {"batch-asg", "queue-asg"};
  RestorePlan p = PlanRestore(left, {"queue-asg"});
  EXPECT_THAT(p.exit_standby.at("web-asg"), ElementsAre("i-1", "i-2"));
  EXPECT_THAT(p.exit_standby.at("api-asg"), ElementsAre("i-3"));
  EXPECT_THAT(p.resume_groups, ElementsAre("batch-asg"));
}

}  // namespace
}  // namespace fleetpatch::workflow
