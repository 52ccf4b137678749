// The Auto Scaling handling through the real client stack (AutoScalingClient, AWS Query, SigV4,
// the zone's assumed role) against the emulator's demo fleet: its group prod-app-asg (min 1,
// desired 2) has two members in the prod zone, one whose patch needs a reboot: without standby or
// suspended processes the emulated group would replace it.
#include <gtest/gtest.h>

#include "emulator/fleet.h"
#include "workflow/emulator_fixture_for_test.h"

namespace fleetpatch::workflow {
namespace {

constexpr const char* kRebooted = "i-000100000feed0101";
constexpr const char* kOther = "i-000100000feed0102";

class AutoScalingEmulatorTest : public testing::EmulatorWorkflowTest {
 protected:
  void SetUp() override {
    StartEmulator(emulator::DemoFleet());
    AddZone("prod", "111111111111", "us-east-1", "fp-demo-prod", "prod");
    options_.canary_size = 0;
  }
  // Scan and pipeline of a new run; returns its id.
  std::string Run() {
    auto connector = Connector();
    auto wf = Make(connector);
    std::string run = NewRun();
    EXPECT_TRUE(wf->Scan(run, zones_).ok());
    auto all = wf->Pipeline(run, zones_);
    EXPECT_TRUE(all.ok()) << all.error().ToString();
    return run;
  }
  InstanceRun Get(const std::string& run, const std::string& id) {
    auto all = store_->QueryInstances(run, {});
    for (auto& r : *all)
      if (r.info.instance_id == id) return r;
    ADD_FAILURE() << "no instance " << id;
    return {};
  }
  // What EC2 Auto Scaling says now of the two members (id -> lifecycle state), once transitions
  // (Pending after ExitStandby: 30 simulated seconds) are over.
  std::map<std::string, std::string> Lifecycles() {
    clock_.Advance(std::chrono::minutes(1));
    auto connector = Connector();
    auto api = connector.Connect(zones_[0]);
    EXPECT_TRUE(api.ok());
    std::map<std::string, std::string> out;
    if (!api.ok()) return out;
    auto members = (*api)->DescribeAutoScalingInstances({kRebooted, kOther});
    EXPECT_TRUE(members.ok()) << members.error().ToString();
    if (members.ok())
      for (const auto& m : *members) out[m.instance_id] = m.lifecycle_state;
    return out;
  }
};

// The group's minimum size (1 of desired 2) allows one member in Standby at a time: the disruption
// budget puts the two in separate waves, and both are patched, none replaced.
TEST_F(AutoScalingEmulatorTest, StandbyWithABudgetOfOneKeepsBothMembersAndPutsThemBackInService) {
  options_.max_unavailable = CountOrPercent{false, 1};
  const std::string run = Run();
  EXPECT_NE(Get(run, kRebooted).patch->wave, Get(run, kOther).patch->wave);
  for (const char* id : {kRebooted, kOther}) {
    InstanceRun r = Get(run, id);
    ASSERT_TRUE(r.patch.has_value()) << id;
    EXPECT_EQ(r.patch->status, PatchStatus::kSuccess) << id << " " << r.patch->reason;
    ASSERT_TRUE(r.standby.has_value()) << id;
    EXPECT_EQ(r.standby->status, StandbyStatus::kExitedStandby) << id << " " << r.standby->reason;
    EXPECT_EQ(r.standby->group, "prod-app-asg");
  }
  auto states = Lifecycles();
  EXPECT_EQ(states[kRebooted], "InService") << "not replaced while it rebooted";
  EXPECT_EQ(states[kOther], "InService");
}

// Without a budget both members are in one wave: the group refuses the second EnterStandby
// (desired would fall below its minimum), so that one is not patched, with AWS's reason.
TEST_F(AutoScalingEmulatorTest, StandbyWithoutABudgetPatchesOnlyWhatTheGroupCanSpare) {
  const std::string run = Run();
  EXPECT_EQ(Get(run, kRebooted).patch->status, PatchStatus::kSuccess);
  InstanceRun refused = Get(run, kOther);
  EXPECT_EQ(refused.patch->status, PatchStatus::kSkipped);
  EXPECT_NE(refused.patch->reason.find("min-size=1"), std::string::npos) << refused.patch->reason;
  auto states = Lifecycles();
  EXPECT_EQ(states[kRebooted], "InService");
  EXPECT_EQ(states[kOther], "InService") << "never taken out of service";
}

TEST_F(AutoScalingEmulatorTest, SuspendKeepsTheRebootedMemberAndResumesTheGroup) {
  options_.auto_scaling = config::AutoScalingMode::kSuspend;
  const std::string run = Run();
  for (const char* id : {kRebooted, kOther}) {
    InstanceRun r = Get(run, id);
    EXPECT_EQ(r.patch->status, PatchStatus::kSuccess) << id;
    ASSERT_TRUE(r.standby.has_value()) << id;
    EXPECT_EQ(r.standby->status, StandbyStatus::kResumed) << id;
  }
  auto states = Lifecycles();
  EXPECT_EQ(states[kRebooted], "InService") << "its health check was suspended while it rebooted";
  EXPECT_EQ(states[kOther], "InService");
}

TEST_F(AutoScalingEmulatorTest, SkipLeavesMembersUntouchedAndIneligible) {
  options_.auto_scaling = config::AutoScalingMode::kSkip;
  options_.eligibility.skip_auto_scaling_members = true;
  const std::string run = Run();
  for (const char* id : {kRebooted, kOther}) {
    InstanceRun r = Get(run, id);
    EXPECT_FALSE(r.info.eligible) << id;
    EXPECT_EQ(r.info.ineligible_reason,
              "member of Auto Scaling group prod-app-asg and patch.auto_scaling is skip");
    EXPECT_FALSE(r.patch.has_value()) << id;
  }
  EXPECT_EQ(emu_->RequestCounts()["EnterStandby"], 0);
  EXPECT_EQ(emu_->RequestCounts()["SuspendProcesses"], 0);
}

}  // namespace
}  // namespace fleetpatch::workflow
