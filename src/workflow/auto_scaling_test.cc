// The Auto Scaling handling around patches, through the whole pipeline on a fake zone: each mode
// (standby, suspend, skip), members that cannot be protected, what a crash leaves and --resume
// restores, the disruption budget and the maintenance window on a real rollout.
#include "workflow/auto_scaling.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "state/run_id.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"
#include "workflow/fake_zone_api_for_test.h"
#include "workflow/interrupt.h"

namespace fleetpatch::workflow {
namespace {

using testing::FakeInstance;
using testing::FakeZoneApi;

FakeInstance Member(const std::string& id, const std::string& group) {
  FakeInstance i = testing::HealthyLinux(id);
  if (!group.empty()) i.ec2.tags[kAutoScalingGroupTag] = group;
  i.asg_group = group;
  return i;
}

class AutoScalingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearInterrupt();
    auto s = state::SqliteStateStore::Open((dir_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    options_.poll_interval = std::chrono::seconds(10);
    options_.linux_thresholds.critical_services = {"sshd"};
    options_.reboot_option = "NoReboot";
    options_.canary_size = 0;
    api_ = std::make_shared<FakeZoneApi>(clock_);
    connector_.zones["prod-a"] = api_;
    ZoneSpec z;
    z.info = {"prod-a", "111111111111", "eu-west-1", "arn:aws:iam::111111111111:role/Patch", {}};
    z.tag_filters = {{"Patch", {"yes"}}};
    zones_.push_back(z);
    // The order of the calls that matter: Auto Scaling changes and patch commands.
    api_->on_asg = [this](const std::string& op) { calls_.push_back(op); };
    api_->on_send = [this](const std::string& doc) {
      if (doc == "AWS-RunPatchBaseline") calls_.push_back("Patch");
    };
  }
  void TearDown() override { ClearInterrupt(); }

  std::string NewRun() {
    RunInfo run;
    run.run_id = state::NewRunId(clock_);
    run.workflow = "full";
    EXPECT_TRUE(store_->CreateRun(run).ok());
    return run.run_id;
  }
  std::unique_ptr<Workflow> Make() {
    return std::make_unique<Workflow>(options_, *store_, connector_, clock_,
                                      Progress::Options{.quiet = true});
  }
  Result<std::vector<PhaseSummary>> Pipeline(const std::string& run_id) {
    return Make()->Pipeline(run_id, zones_);
  }
  std::vector<PhaseSummary> ScanAndPipeline(const std::string& run_id) {
    EXPECT_TRUE(Make()->Scan(run_id, zones_).ok());
    auto all = Pipeline(run_id);
    EXPECT_TRUE(all.ok()) << all.error().message;
    return all.ok() ? *all : std::vector<PhaseSummary>{};
  }
  InstanceRun Get(const std::string& run_id, const std::string& id) {
    auto all = store_->QueryInstances(run_id, {});
    for (auto& r : *all)
      if (r.info.instance_id == id) return r;
    ADD_FAILURE() << "no instance " << id;
    return {};
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::unique_ptr<state::SqliteStateStore> store_;
  testing::FakeConnector connector_;
  std::shared_ptr<FakeZoneApi> api_;
  std::vector<ZoneSpec> zones_;
  WorkflowOptions options_;
  std::vector<std::string> calls_;
};

TEST_F(AutoScalingTest, StandbyAroundTheMembersPatchAndNothingForOthers) {
  api_->Add(Member("i-1", "web"));
  api_->Add(Member("i-2", ""));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 2);
  // The member's patch waits for Standby (ThePatchIsSentOnlyOnceTheMemberIsInStandby); the other
  // instance of the wave does not wait for it.
  EXPECT_EQ(calls_, (std::vector<std::string>{"EnterStandby", "Patch", "Patch", "ExitStandby"}));
  EXPECT_EQ(api_->Lifecycle("i-1"), "InService");
  InstanceRun r = Get(run, "i-1");
  ASSERT_TRUE(r.standby.has_value());
  EXPECT_EQ(r.standby->status, StandbyStatus::kExitedStandby);
  EXPECT_EQ(r.standby->group, "web");
  EXPECT_EQ(r.standby->mode, "standby");
  EXPECT_FALSE(r.standby->entered_at.empty());
  EXPECT_FALSE(r.standby->exited_at.empty());
  EXPECT_FALSE(Get(run, "i-2").standby.has_value()) << "an instance in no group has no Auto Scaling record";
}

// Without a postcheck (workflow.phases.postcheck off) the patch alone says whether the instance is
// known good; with one, a healthy postcheck puts it back (ShouldExitStandby).
TEST_F(AutoScalingTest, AFailedPatchLeavesTheInstanceInStandbyAndSaysSo) {
  options_.postcheck = false;
  FakeInstance bad = Member("i-1", "web");
  bad.patch_status = "Failed";
  api_->Add(bad);
  const std::string run = NewRun();
  ScanAndPipeline(run);
  EXPECT_EQ(api_->Lifecycle("i-1"), "Standby") << "not known good: not put back into service";
  EXPECT_EQ(api_->Calls("ExitStandby"), 0);
  InstanceRun r = Get(run, "i-1");
  ASSERT_TRUE(r.standby.has_value());
  EXPECT_EQ(r.standby->status, StandbyStatus::kLeftInStandby);
  EXPECT_NE(r.standby->reason.find("patch failed"), std::string::npos) << r.standby->reason;
}

// `fleetpatch rollback` restores an instance the run left in Standby: after the rollback succeeded
// it is known good, and SettleStandby puts it back in service (a live run's rule).
TEST_F(AutoScalingTest, ARollbackLaterPutsAnInstanceLeftInStandbyBackInService) {
  options_.postcheck = false;
  FakeInstance bad = Member("i-1", "web");
  bad.patch_status = "Failed";
  bad.ec2.root_device_type = "ebs";
  api_->Add(bad);
  const std::string run = NewRun();
  ScanAndPipeline(run);
  ASSERT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kLeftInStandby);
  RollbackRequest named;
  named.instance_ids = {"i-1"};
  auto rolled = Make()->Rollback(run, zones_, named);
  ASSERT_TRUE(rolled.ok()) << rolled.error().message;
  ASSERT_EQ(Get(run, "i-1").rollback->status, RollbackStatus::kRolledBack)
      << Get(run, "i-1").rollback->reason;
  EXPECT_EQ(api_->Lifecycle("i-1"), "Standby") << "the rollback alone does not move it";
  auto settled = Make()->SettleStandby(run, zones_);
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_EQ(api_->Lifecycle("i-1"), "InService");
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kExitedStandby);
}

TEST_F(AutoScalingTest, SuspendModeSuspendsEachGroupOnceAndResumesAfterItsLastInstance) {
  options_.auto_scaling = config::AutoScalingMode::kSuspend;
  options_.wave_size = 1;  // web's two instances in two waves: suspended across both
  api_->Add(Member("i-1", "web"));
  api_->Add(Member("i-2", "web"));
  api_->Add(Member("i-3", "api"));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 3);
  EXPECT_EQ(api_->Calls("SuspendProcesses"), 2);
  EXPECT_EQ(api_->Calls("ResumeProcesses"), 2);
  EXPECT_EQ(api_->Calls("EnterStandby"), 0);
  EXPECT_TRUE(api_->SuspendedGroups().empty());
  EXPECT_EQ(calls_, (std::vector<std::string>{"SuspendProcesses", "Patch", "Patch", "ResumeProcesses",
                                              "SuspendProcesses", "Patch", "ResumeProcesses"}));
  for (const char* id : {"i-1", "i-2", "i-3"}) {
    InstanceRun r = Get(run, id);
    ASSERT_TRUE(r.standby.has_value()) << id;
    EXPECT_EQ(r.standby->status, StandbyStatus::kResumed) << id;
  }
}

// Two landing zones may name one account and region (here with different tag filters): a group
// with members in both is suspended once and resumed once, after its last member in either zone,
// never while the other zone still has a member to patch.
TEST_F(AutoScalingTest, AGroupWithMembersInTwoZonesIsResumedOnceAfterItsLastMember) {
  options_.auto_scaling = config::AutoScalingMode::kSuspend;
  options_.wave_size = 1;  // one member per wave: the zones' members are patched one after the other
  ZoneSpec b = zones_[0];
  b.info.name = "prod-b";
  b.tag_filters = {{"Patch", {"b"}}};
  zones_.push_back(b);
  connector_.zones["prod-b"] = api_;  // the same account and region: the same groups
  api_->Add(Member("i-1", "web"));
  FakeInstance other = Member("i-2", "web");
  other.ec2.tags["Patch"] = "b";
  api_->Add(other);
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 2);
  EXPECT_EQ(Get(run, "i-1").info.zone, "prod-a");
  EXPECT_EQ(Get(run, "i-2").info.zone, "prod-b");
  EXPECT_EQ(calls_, (std::vector<std::string>{"SuspendProcesses", "Patch", "Patch", "ResumeProcesses"}));
  EXPECT_TRUE(api_->SuspendedGroups().empty());
  for (const char* id : {"i-1", "i-2"}) {
    EXPECT_EQ(Get(run, id).standby->status, StandbyStatus::kResumed) << id << ": each zone's record says so";
  }
}

TEST_F(AutoScalingTest, SkipModeMakesMembersIneligibleWithTheReason) {
  options_.auto_scaling = config::AutoScalingMode::kSkip;
  options_.eligibility.skip_auto_scaling_members = true;
  api_->Add(Member("i-1", "web"));
  api_->Add(Member("i-2", ""));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  InstanceRun r = Get(run, "i-1");
  EXPECT_FALSE(r.info.eligible);
  EXPECT_EQ(r.info.ineligible_reason, "member of Auto Scaling group web and patch.auto_scaling is skip");
  EXPECT_EQ(calls_, (std::vector<std::string>{"Patch"}));
  EXPECT_EQ(api_->Calls("DescribeAutoScalingInstances"), 0);
}

// A group whose minimum size allows one member in Standby: the batch is refused, the members are
// then tried one by one; the one the group refuses is not patched, with the reason.
TEST_F(AutoScalingTest, WhatTheGroupRefusesToPutInStandbyIsNotPatched) {
  api_->standby_limit = 1;
  api_->Add(Member("i-1", "web"));
  api_->Add(Member("i-2", "web"));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 1);
  EXPECT_EQ(out[2].skipped, 1);
  EXPECT_EQ(api_->PatchedIds(), std::vector<std::string>{"i-1"});
  InstanceRun refused = Get(run, "i-2");
  EXPECT_EQ(refused.patch->status, PatchStatus::kSkipped);
  EXPECT_NE(
      refused.patch->reason.find("EnterStandby failed: AutoScalingGroup web would fall below its min-size"),
      std::string::npos)
      << refused.patch->reason;
  EXPECT_EQ(refused.standby->status, StandbyStatus::kSkipped);
  EXPECT_EQ(api_->Lifecycle("i-1"), "InService");
  EXPECT_EQ(api_->Lifecycle("i-2"), "InService");
}

TEST_F(AutoScalingTest, AMemberThatIsNotInServiceIsNeverPatched) {
  FakeInstance leaving = Member("i-1", "web");
  leaving.lifecycle = "Terminating";
  api_->Add(leaving);
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].skipped, 1);
  EXPECT_TRUE(api_->PatchedIds().empty());
  InstanceRun r = Get(run, "i-1");
  ASSERT_TRUE(r.patch.has_value());
  EXPECT_EQ(r.patch->status, PatchStatus::kSkipped);
  EXPECT_NE(r.patch->reason.find("Terminating"), std::string::npos) << r.patch->reason;
}

TEST_F(AutoScalingTest, AnInstanceAlreadyInStandbyIsPatchedAsItIsAndLeftThere) {
  FakeInstance parked = Member("i-1", "web");
  parked.lifecycle = "Standby";
  api_->Add(parked);
  const std::string run = NewRun();
  ScanAndPipeline(run);
  EXPECT_EQ(calls_, (std::vector<std::string>{"Patch"}));
  EXPECT_EQ(api_->Lifecycle("i-1"), "Standby") << "fleetpatch did not put it there";
  InstanceRun r = Get(run, "i-1");
  ASSERT_TRUE(r.standby.has_value());
  EXPECT_EQ(r.standby->status, StandbyStatus::kSkipped);
}

// EnterStandby is answered while the member is still EnteringStandby (its load balancers drain
// it, and its group's health check may still act): the patch waits until Auto Scaling shows it in
// Standby, as AWS-PatchAsgInstance does.
TEST_F(AutoScalingTest, ThePatchIsSentOnlyOnceTheMemberIsInStandby) {
  FakeInstance m = Member("i-1", "web");
  m.entering_standby_polls = 3;
  api_->Add(m);
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 1);
  EXPECT_EQ(api_->LifecycleWhenPatched("i-1"), "Standby");
  EXPECT_EQ(calls_, (std::vector<std::string>{"EnterStandby", "Patch", "ExitStandby"}));
  EXPECT_EQ(api_->Lifecycle("i-1"), "InService");
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kExitedStandby);
}

// A member that never gets to Standby within workflow.timeouts.standby is not patched, with the
// reason; its record stays in_standby (the reports list it), and --resume puts it back in service
// once Auto Scaling has it in Standby, then patches it like any queued instance.
TEST_F(AutoScalingTest, AMemberThatNeverReachesStandbyIsNotPatchedAndResumeRestoresIt) {
  options_.standby_timeout = std::chrono::seconds(60);
  FakeInstance stuck = Member("i-1", "web");
  stuck.entering_standby_polls = -1;
  api_->Add(stuck);
  api_->Add(Member("i-2", ""));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 1);
  EXPECT_EQ(out[2].skipped, 1);
  EXPECT_EQ(api_->PatchedIds(), std::vector<std::string>{"i-2"});
  InstanceRun r = Get(run, "i-1");
  ASSERT_TRUE(r.patch.has_value());
  EXPECT_EQ(r.patch->status, PatchStatus::kSkipped);
  EXPECT_NE(r.patch->reason.find("still EnteringStandby after workflow.timeouts.standby (60 s)"),
            std::string::npos)
      << r.patch->reason;
  ASSERT_TRUE(r.standby.has_value());
  EXPECT_EQ(r.standby->status, StandbyStatus::kInStandby) << "fleetpatch asked for Standby: it says so";
  EXPECT_NE(r.standby->reason.find("not patched; --resume puts it back in service"), std::string::npos)
      << r.standby->reason;
  EXPECT_EQ(api_->Calls("ExitStandby"), 0);

  api_->Set("i-1", [](FakeInstance& i) {
    i.lifecycle = "Standby";  // it got there after the run
    i.entering_standby_polls = 0;
  });
  calls_.clear();
  auto resumed = Pipeline(run);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(calls_, (std::vector<std::string>{"ExitStandby", "EnterStandby", "Patch", "ExitStandby"}));
  EXPECT_EQ(api_->Lifecycle("i-1"), "InService");
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kExitedStandby);
}

// A crash after the patch, before the postcheck: --resume does not decide from the patch alone.
// The instances stay in Standby through the resumed pipeline; after the run-wide postcheck, the
// healthy one exits Standby and the degraded one is left there, as a live run decides.
TEST_F(AutoScalingTest, ResumeDecidesStandbyFromThePostcheckNotThePatch) {
  options_.wave_size = 2;
  FakeInstance broken = Member("i-1", "web");
  broken.patched_output = testing::HealthyPrecheckOutput();
  const std::string active = "\"sshd\":\"active\"";
  broken.patched_output.replace(broken.patched_output.find(active), active.size(), "\"sshd\":\"failed\"");
  api_->Add(broken);
  api_->Add(Member("i-2", "web"));
  const std::string run = NewRun();
  ASSERT_TRUE(Make()->Scan(run, zones_).ok());
  bool patch_sent = false;
  api_->on_send = [&](const std::string& doc) {
    if (doc == "AWS-RunPatchBaseline")
      patch_sent = true;
    else if (patch_sent)
      RequestInterrupt();  // the postcheck's command: killed there
  };
  ASSERT_TRUE(Pipeline(run).ok());
  for (const char* id : {"i-1", "i-2"}) {
    ASSERT_EQ(Get(run, id).patch->status, PatchStatus::kSuccess) << id;
    ASSERT_FALSE(Get(run, id).postcheck.has_value()) << id;
    ASSERT_EQ(Get(run, id).standby->status, StandbyStatus::kInStandby) << id;
  }

  ClearInterrupt();
  api_->on_send = nullptr;
  ASSERT_TRUE(Pipeline(run).ok());
  for (const char* id : {"i-1", "i-2"}) {
    EXPECT_EQ(api_->Lifecycle(id), "Standby") << id << ": its postcheck is still to come";
    EXPECT_EQ(Get(run, id).standby->status, StandbyStatus::kInStandby) << id;
  }
  ASSERT_TRUE(Make()->Postcheck(run, zones_).ok());
  auto settled = Make()->SettleStandby(run, zones_);
  ASSERT_TRUE(settled.ok()) << settled.error().message;
  EXPECT_TRUE(settled->zone_errors.empty());
  EXPECT_EQ(Get(run, "i-2").postcheck->status, PostcheckStatus::kHealthy);
  EXPECT_EQ(api_->Lifecycle("i-2"), "InService");
  EXPECT_EQ(Get(run, "i-2").standby->status, StandbyStatus::kExitedStandby);
  EXPECT_EQ(Get(run, "i-1").postcheck->status, PostcheckStatus::kDegraded);
  EXPECT_EQ(api_->Lifecycle("i-1"), "Standby");
  InstanceRun left = Get(run, "i-1");
  EXPECT_EQ(left.standby->status, StandbyStatus::kLeftInStandby);
  EXPECT_NE(left.standby->reason.find("postcheck degraded: not known good"), std::string::npos)
      << left.standby->reason;
}

// Ctrl-C (or a crash) right after EnterStandby: the record says in_standby before the call, and
// --resume finishes the instance and puts it back in service.
TEST_F(AutoScalingTest, InterruptedInStandbyThenResumedLeavesNothingInStandby) {
  api_->Add(Member("i-1", "web"));
  api_->Add(Member("i-2", "web"));
  options_.wave_size = 2;
  const std::string run = NewRun();
  ASSERT_TRUE(Make()->Scan(run, zones_).ok());
  api_->on_asg = [this](const std::string& op) {
    calls_.push_back(op);
    if (op == "EnterStandby") RequestInterrupt();
  };
  auto first = Pipeline(run);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(api_->Lifecycle("i-1"), "Standby");
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kInStandby) << "recorded before the call";

  ClearInterrupt();
  api_->on_asg = [this](const std::string& op) { calls_.push_back(op); };
  auto second = Pipeline(run);
  ASSERT_TRUE(second.ok()) << second.error().message;
  for (const char* id : {"i-1", "i-2"}) {
    EXPECT_EQ(api_->Lifecycle(id), "InService") << id;
    EXPECT_EQ(Get(run, id).standby->status, StandbyStatus::kExitedStandby) << id;
    EXPECT_EQ(Get(run, id).patch->status, PatchStatus::kSuccess) << id;
  }
}

// A crash after SuspendProcesses: --resume resumes the group when none of its patches is in flight.
TEST_F(AutoScalingTest, AGroupLeftSuspendedIsResumedByTheNextAttempt) {
  options_.auto_scaling = config::AutoScalingMode::kSuspend;
  api_->Add(Member("i-1", "web"));
  const std::string run = NewRun();
  ASSERT_TRUE(Make()->Scan(run, zones_).ok());
  api_->on_asg = [](const std::string& op) {
    if (op == "SuspendProcesses") RequestInterrupt();
  };
  ASSERT_TRUE(Pipeline(run).ok());
  EXPECT_EQ(api_->SuspendedGroups(), std::set<std::string>{"web"});
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kSuspended);
  ClearInterrupt();
  api_->on_asg = nullptr;
  ASSERT_TRUE(Pipeline(run).ok());
  EXPECT_TRUE(api_->SuspendedGroups().empty());
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kResumed);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
}

TEST_F(AutoScalingTest, TheDisruptionBudgetKeepsAGroupToOneAtATime) {
  options_.max_unavailable = CountOrPercent{false, 1};
  options_.wave_size = 10;
  api_->Add(Member("i-1", "web"));
  api_->Add(Member("i-2", "web"));
  api_->Add(Member("i-3", ""));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].succeeded, 3);
  EXPECT_EQ(Get(run, "i-1").patch->wave, 0);
  EXPECT_EQ(Get(run, "i-3").patch->wave, 0) << "in no group: in the first wave";
  EXPECT_EQ(Get(run, "i-2").patch->wave, 1) << "waited for its group's place";
}

TEST_F(AutoScalingTest, OutsideTheWindowNoWaveStartsAndTheRunStopsResumable) {
  options_.window.enabled = true;  // 13:00-14:00 UTC; the fake clock says 12:36
  options_.window.start_minute = 13 * 60;
  options_.window.end_minute = 14 * 60;
  api_->Add(Member("i-1", "web"));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[2].window_closed);
  EXPECT_TRUE(out[2].interrupted) << "resumable: the patch phase is not completed";
  EXPECT_NE(out[2].next_window.find("2015-08-30T13:00:00Z"), std::string::npos) << out[2].next_window;
  EXPECT_TRUE(api_->PatchedIds().empty());
  EXPECT_FALSE(Get(run, "i-1").patch.has_value()) << "left queued, not skipped";
  EXPECT_EQ(api_->Calls("EnterStandby"), 0);
  auto info = store_->GetRun(run);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(std::count(info->phases_completed.begin(), info->phases_completed.end(), "patch"), 0);

  clock_.Advance(std::chrono::minutes(30));  // 13:06: open
  auto resumed = Make()->Patch(run, zones_);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_FALSE(resumed->window_closed);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
}

// The window closes while waves run (on the fake clock the polls advance): the wave in flight
// finishes, no later wave starts, nothing is skipped, and the next window's --resume finishes.
TEST_F(AutoScalingTest, AWindowThatClosesMidRunStopsResumableAndTheNextWindowFinishes) {
  options_.window.enabled = true;  // 12:00-12:37 UTC; the fake clock starts at 12:36:00
  options_.window.start_minute = 12 * 60;
  options_.window.end_minute = 12 * 60 + 37;  // a wave takes ~20 s here: 3 start
  options_.wave_size = 1;
  const std::vector<std::string> ids = {"i-1", "i-2", "i-3", "i-4", "i-5", "i-6"};
  for (const auto& id : ids) api_->Add(Member(id, ""));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[2].window_closed);
  EXPECT_NE(out[2].next_window.find("2015-08-31T12:00:00Z"), std::string::npos) << out[2].next_window;
  int patched = 0, untouched = 0;
  for (const auto& id : ids) {
    InstanceRun r = Get(run, id);
    if (!r.patch) {
      ++untouched;
    } else {
      EXPECT_EQ(r.patch->status, PatchStatus::kSuccess) << id << ": in-flight work finishes";
      ++patched;
    }
  }
  EXPECT_GT(patched, 0) << "waves started inside the window";
  EXPECT_GT(untouched, 0) << "none after it closed; left queued, not skipped";

  clock_.Advance(std::chrono::hours(24) - std::chrono::minutes(30));  // the next day, inside the window
  auto resumed = Make()->Patch(run, zones_);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  for (const auto& id : ids) EXPECT_EQ(Get(run, id).patch->status, PatchStatus::kSuccess) << id;
}

// The window closes while a suspended group still has members queued: the group is resumed when
// the zone lets them go, never left suspended until the next window.
TEST_F(AutoScalingTest, AGroupIsResumedWhenTheWindowClosesBeforeItsLastMember) {
  options_.auto_scaling = config::AutoScalingMode::kSuspend;
  options_.window.enabled = true;
  options_.window.start_minute = 12 * 60;
  options_.window.end_minute = 12 * 60 + 37;
  options_.wave_size = 1;
  for (const char* id : {"i-1", "i-2", "i-3", "i-4", "i-5", "i-6"}) api_->Add(Member(id, "web"));
  const std::string run = NewRun();
  auto out = ScanAndPipeline(run);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(out[2].window_closed);
  EXPECT_TRUE(api_->SuspendedGroups().empty());
  EXPECT_EQ(api_->Calls("SuspendProcesses"), 1);
  EXPECT_EQ(api_->Calls("ResumeProcesses"), 1);
  EXPECT_FALSE(Get(run, "i-6").patch.has_value());
  EXPECT_EQ(Get(run, "i-1").standby->status, StandbyStatus::kResumed);
}

}  // namespace
}  // namespace fleetpatch::workflow
