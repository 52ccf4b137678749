// The safety loop's outcomes in the run model: names round-trip, JSON round-trips, and the
// per-instance timeline lists each step that has a result, in the run's order.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/run_model.h"

namespace fleetpatch {
namespace {

using ::testing::ElementsAre;

TEST(SafetyOutcomes, NamesRoundTrip) {
  for (auto s : {RollbackStatus::kPending, RollbackStatus::kInProgress, RollbackStatus::kRolledBack,
                 RollbackStatus::kFailed, RollbackStatus::kUnsupported, RollbackStatus::kIneligible}) {
    RollbackStatus back{};
    ASSERT_TRUE(ParseRollbackStatus(RollbackStatusName(s), &back));
    EXPECT_EQ(back, s);
  }
  for (auto s : {StandbyStatus::kInStandby, StandbyStatus::kExitedStandby, StandbyStatus::kLeftInStandby,
                 StandbyStatus::kSuspended, StandbyStatus::kResumed, StandbyStatus::kSkipped}) {
    StandbyStatus back{};
    ASSERT_TRUE(ParseStandbyStatus(StandbyStatusName(s), &back));
    EXPECT_EQ(back, s);
  }
  EXPECT_STREQ(PostcheckStatusName(PostcheckStatus::kDegraded), "degraded");
  EXPECT_STREQ(RollbackStatusName(RollbackStatus::kUnsupported), "rollback_unsupported");
  EXPECT_STREQ(RebootStatusName(RebootStatus::kBack), "back");
  EXPECT_TRUE(StandbyNeedsRestore(StandbyStatus::kInStandby));
  EXPECT_TRUE(StandbyNeedsRestore(StandbyStatus::kSuspended));
  EXPECT_FALSE(StandbyNeedsRestore(StandbyStatus::kExitedStandby));
  EXPECT_FALSE(StandbyNeedsRestore(StandbyStatus::kLeftInStandby));
}

TEST(SafetyOutcomes, JsonRoundTrip) {
  RollbackResult r;
  r.status = RollbackStatus::kRolledBack;
  r.ami_id = "ami-1";
  r.task_id = "replacevol-1";
  r.automatic = true;
  r.postcheck = "healthy";
  RollbackResult back = nlohmann::json(r).get<RollbackResult>();
  EXPECT_EQ(back.status, RollbackStatus::kRolledBack);
  EXPECT_EQ(back.task_id, "replacevol-1");
  EXPECT_TRUE(back.automatic);
  PostcheckResult p;
  p.status = PostcheckStatus::kDegraded;
  p.regressions = {"service:nginx was active, now failed"};
  EXPECT_EQ(nlohmann::json(p).get<PostcheckResult>().regressions, p.regressions);
  StandbyResult s;
  s.status = StandbyStatus::kInStandby;
  s.group = "web-asg";
  EXPECT_EQ(nlohmann::json(s).get<StandbyResult>().status, StandbyStatus::kInStandby);
  // Old records without the field keep the default.
  EXPECT_EQ(nlohmann::json::object().get<RebootResult>().status, RebootStatus::kWaiting);
}

TEST(SafetyOutcomes, TimelineFollowsTheRunsOrder) {
  InstanceRun r;
  EXPECT_TRUE(InstanceTimeline(r).empty());
  r.backup = BackupResult{};
  r.backup->status = BackupStatus::kAvailable;
  r.backup->ami_id = "ami-1";
  r.precheck = PrecheckResult{};
  r.precheck->status = PrecheckStatus::kReady;
  r.standby = StandbyResult{StandbyStatus::kExitedStandby, "web-asg", "standby", "t1", "t9", "", {}};
  r.patch = PatchResult{};
  r.patch->status = PatchStatus::kFailed;
  r.reboot = RebootResult{RebootStatus::kBack, "t3", "t4", ""};
  r.postcheck = PostcheckResult{};
  r.postcheck->status = PostcheckStatus::kDegraded;
  r.postcheck->regressions = {"a", "b"};
  r.rollback = RollbackResult{};
  r.rollback->status = RollbackStatus::kRolledBack;
  std::vector<std::string> steps, statuses;
  for (const TimelineEntry& e : InstanceTimeline(r)) {
    steps.push_back(e.step);
    statuses.push_back(e.status);
  }
  EXPECT_THAT(steps, ElementsAre("backup", "precheck", "standby", "patch", "reboot", "postcheck", "rollback",
                                 "standby_exit"));
  EXPECT_THAT(statuses, ElementsAre("available", "ready", "standby", "failed", "back", "degraded",
                                    "rolled_back", "exited_standby"));
  EXPECT_EQ(InstanceTimeline(r)[5].detail, "a; b");
  EXPECT_EQ(InstanceTimeline(r)[0].detail, "ami-1");
}

}  // namespace
}  // namespace fleetpatch
