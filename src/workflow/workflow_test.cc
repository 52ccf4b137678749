#include "workflow/workflow.h"

#include <gtest/gtest.h>

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

FakeInstance Linux(const std::string& id) { return testing::HealthyLinux(id); }

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearInterrupt();
    auto s = state::SqliteStateStore::Open((dir_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    options_.poll_interval = std::chrono::seconds(10);
    options_.linux_thresholds.critical_services = {"sshd"};
    options_.windows_thresholds.critical_services = {"W32Time"};
    options_.postcheck = false;  // the steps after the patch are tested in safety_loop_test.cc
    AddZone("prod-a");
  }

  std::shared_ptr<FakeZoneApi> AddZone(const std::string& name) {
    auto api = std::make_shared<FakeZoneApi>(clock_);
    connector_.zones[name] = api;
    ZoneSpec z;
    z.info = {name, "111111111111", "eu-west-1", "arn:aws:iam::111111111111:role/Patch", {}};
    z.tag_filters = {{"Patch", {"yes"}}};
    zones_.push_back(z);
    return api;
  }
  FakeZoneApi& Zone(const std::string& name = "prod-a") { return *connector_.zones.at(name); }

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
  // Scans run `run`, then the SSM agent of `lost` drops off (ConnectionLost); returns a workflow
  // for the later phases, with backups turned off and the backup phase done (nullptr if a phase
  // failed).
  std::unique_ptr<Workflow> ScanThenLoseAgent(const std::string& run, const std::string& lost) {
    if (!Make()->Scan(run, zones_).ok()) return nullptr;
    Zone().Set(lost, [](FakeInstance& i) { i.ssm->ping_status = "ConnectionLost"; });
    options_.backup_enabled = false;
    auto wf = Make();
    if (!wf->Backup(run, zones_).ok()) return nullptr;
    return wf;
  }
  // Runs every phase; returns the patch summary.
  PhaseSummary RunAll(const std::string& run_id) {
    auto wf = Make();
    EXPECT_TRUE(wf->Scan(run_id, zones_).ok());
    auto b = wf->Backup(run_id, zones_);
    EXPECT_TRUE(b.ok()) << b.error().message;
    auto p = wf->Precheck(run_id, zones_);
    EXPECT_TRUE(p.ok()) << p.error().message;
    auto r = wf->Patch(run_id, zones_);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : PhaseSummary{};
  }
  // Scan, backup and precheck of `run`, then a crash right after `id`'s patch command was sent and
  // recorded in_progress. Returns the command id ("" if a step failed).
  std::string PrepareThenCrashWithPatchInFlight(const std::string& run, const std::string& id) {
    auto wf = Make();
    if (!wf->Scan(run, zones_).ok() || !wf->Backup(run, zones_).ok() || !wf->Precheck(run, zones_).ok())
      return "";
    auto cmd = Zone().SendCommand("AWS-RunPatchBaseline", {id}, {}, 60, "earlier attempt");
    if (!cmd.ok()) return "";
    PatchResult flying;
    flying.status = PatchStatus::kInProgress;
    flying.command_id = *cmd;
    flying.started_at = FormatIso8601(clock_.Now());
    return store_->SavePatch(run, "prod-a", id, flying).ok() ? *cmd : "";
  }
  // Scans, then runs the pipeline; returns its summaries (backup, precheck, patch).
  std::vector<PhaseSummary> RunPipeline(const std::string& run_id) {
    auto wf = Make();
    EXPECT_TRUE(wf->Scan(run_id, zones_).ok());
    auto all = wf->Pipeline(run_id, zones_);
    EXPECT_TRUE(all.ok()) << all.error().message;
    return all.ok() ? *all : std::vector<PhaseSummary>{};
  }
  // The default AMI name of `id` in `run` (the run started at the fake clock's time).
  std::string AmiName(const std::string& run_id, const std::string& id) {
    InstanceInfo info;
    info.instance_id = id;
    info.zone = "prod-a";
    return RenderAmiName("", run_id, info, clock_.Now());
  }
  // An available AMI named and tagged as run_id's backup of instance_id, made from `source` in the
  // zone's account.
  ImageView BackupImage(const std::string& run_id, const std::string& instance_id,
                        const std::string& image_id, const std::string& source) {
    ImageView img;
    img.image_id = image_id;
    img.name = AmiName(run_id, instance_id);
    img.state = "available";
    img.owner_id = "111111111111";
    img.source_instance_id = source;
    img.tags = {{"fleetpatch:run-id", run_id}, {"fleetpatch:backup-name", img.name}};
    return img;
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
  std::vector<ZoneSpec> zones_;
  WorkflowOptions options_;
};

TEST_F(WorkflowTest, HappyPathPatchesAndVerifiesEveryEligibleInstance) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  auto stopped = Linux("i-3");
  stopped.ec2.state = "stopped";
  Zone().Add(stopped);
  auto untagged = Linux("i-4");
  untagged.ec2.tags.erase("Patch");
  Zone().Add(untagged);

  std::string run = NewRun();
  auto patch = RunAll(run);
  EXPECT_EQ(patch.succeeded, 2);
  EXPECT_EQ(patch.failed, 0);
  auto i1 = Get(run, "i-1");
  EXPECT_TRUE(i1.info.eligible);
  EXPECT_EQ(i1.info.name, "web-i-1");
  ASSERT_TRUE(i1.backup && i1.precheck && i1.patch);
  EXPECT_EQ(i1.backup->status, BackupStatus::kAvailable);
  EXPECT_EQ(i1.backup->ami_name, AmiName(run, "i-1"));
  EXPECT_NE(i1.backup->ami_name.find(run), std::string::npos);
  EXPECT_EQ(i1.precheck->status, PrecheckStatus::kReady);
  EXPECT_EQ(i1.patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(i1.patch->installed, 5);
  auto i3 = Get(run, "i-3");
  EXPECT_FALSE(i3.info.eligible);
  EXPECT_FALSE(i3.backup.has_value());
  EXPECT_EQ(store_->LoadInstances(run)->size(), 3u);  // i-4 filtered out server-side
  EXPECT_EQ(Zone().Calls("CreateImage"), 2);
  EXPECT_EQ(Zone().Calls("DescribeInstancePatchStates"), 2);  // one per wave (canary, then the rest)
  auto got = store_->GetRun(run);
  EXPECT_EQ(got->phases_completed, (std::vector<std::string>{"scan", "backup", "precheck", "patch"}));
}

TEST_F(WorkflowTest, NeverPatchesAnInstanceWhoseBackupFailedAndCleansItUp) {
  auto bad = Linux("i-bad");
  bad.ami_outcome = "failed";
  Zone().Add(bad);
  Zone().Add(Linux("i-ok"));
  options_.canary_size = 0;
  std::string run = NewRun();
  RunAll(run);
  auto r = Get(run, "i-bad");
  EXPECT_EQ(r.backup->status, BackupStatus::kFailed);
  EXPECT_TRUE(r.backup->cleaned_up);
  EXPECT_EQ(Zone().DeregisteredImages().count(r.backup->ami_id), 1u);
  EXPECT_EQ(Zone().DeletedSnapshots().size(), 1u);
  EXPECT_EQ(r.patch->status, PatchStatus::kSkipped);
  EXPECT_NE(r.patch->reason.find("never patched without a backup"), std::string::npos);
  EXPECT_EQ(Zone().PatchedIds(), std::vector<std::string>{"i-ok"});
}

TEST_F(WorkflowTest, BackupTimeoutIsReportedAndCleanedUp) {
  auto slow = Linux("i-slow");
  slow.ami_outcome = "hang";
  Zone().Add(slow);
  options_.ami_timeout = std::chrono::seconds(60);
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  auto b = wf->Backup(run, zones_);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->failed, 1);
  auto r = Get(run, "i-slow");
  EXPECT_EQ(r.backup->status, BackupStatus::kTimedOut);
  EXPECT_EQ(r.backup->error.code, "BackupTimedOut");
  EXPECT_TRUE(r.backup->cleaned_up);
  // Polls are batched: one DescribeImages per poll for the zone, not one per image per poll.
  EXPECT_LE(Zone().Calls("DescribeImages"), 1 + 7);
}

TEST_F(WorkflowTest, AmisAndCommandsInFlightStayWithinTheirWindows) {
  for (int i = 1; i <= 120; ++i) Zone().Add(Linux("i-" + std::to_string(i)));
  options_.max_pending_images = 7;
  options_.max_commands = 100;
  options_.canary_size = 0;
  options_.wave_size = 100;
  std::string run = NewRun();
  auto s = RunAll(run);
  EXPECT_EQ(s.succeeded, 120);
  EXPECT_EQ(Zone().Calls("CreateImage"), 120);
  EXPECT_LE(Zone().MaxPendingImages(), 7);
  EXPECT_EQ(Zone().MaxPendingImages(), 7);
  // Precheck: batches of 50, at most 100 invocations in flight: 50 + 50, then the last 20.
  EXPECT_EQ(Zone().Calls("SendCommand"), 3 + 3);  // precheck 50+50+20; patch waves of 100 (50+50) and 20
  EXPECT_LE(Zone().MaxInvocationsInFlight(), 100);
}

TEST_F(WorkflowTest, ErrorBudgetStopsTheRolloutAndLeavesTheRestUntouched) {
  for (int i = 1; i <= 6; ++i) Zone().Add(Linux("i-" + std::to_string(i)));
  Zone().Set("i-3", [](FakeInstance& i) { i.patch_status = "Failed"; });
  options_.canary_size = 1;
  options_.wave_size = 2;
  options_.error_budget = {false, 0};
  std::string run = NewRun();
  auto s = RunAll(run);
  EXPECT_TRUE(s.budget_spent);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.succeeded, 2);  // canary i-1, then wave 1: i-2 ok, i-3 failed
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-1", "i-2", "i-3"}));
  for (const char* id : {"i-4", "i-5", "i-6"}) {
    auto r = Get(run, id);
    ASSERT_TRUE(r.patch);
    EXPECT_EQ(r.patch->status, PatchStatus::kSkipped);
    EXPECT_NE(r.patch->reason.find("error budget spent"), std::string::npos) << r.patch->reason;
  }
}

TEST_F(WorkflowTest, FailedCanaryStopsTheRollout) {
  for (int i = 1; i <= 3; ++i) Zone().Add(Linux("i-" + std::to_string(i)));
  Zone().Set("i-1", [](FakeInstance& i) { i.patch_status = "Failed"; });
  options_.error_budget = {true, 50};
  std::string run = NewRun();
  auto s = RunAll(run);
  EXPECT_EQ(Zone().PatchedIds(), std::vector<std::string>{"i-1"});
  EXPECT_EQ(Get(run, "i-2").patch->reason, "canary wave failed: rollout stopped");
  EXPECT_EQ(s.failed, 1);
}

// A run that ended without Success needs no DescribeInstancePatchStates: its verdict (and, in a full
// run, its postcheck) does not wait for a straggler of the same command (issue 10).
// ... but an instance whose command ended long before its zone's share was verified (a straggler of
// the same wave held the verification) is checked at once: it can be back already.
TEST_F(WorkflowTest, RebootWaitChecksAtOnceWhenTheCommandEndedLongBeforeTheVerification) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  Zone().Set("i-2", [](FakeInstance& i) { i.patch_status = "hang"; });
  options_.canary_size = 0;
  options_.error_budget = {true, 100};
  options_.patch_timeout = std::chrono::seconds(120);
  options_.reboot_first_poll = std::chrono::seconds(5);
  std::string run = NewRun();
  RunAll(run);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  auto verified = Zone().CallTimes("DescribeInstancePatchStates");
  auto checks = Zone().CallTimes("DescribeInstanceStatus");
  ASSERT_EQ(verified.size(), 1u);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0], verified[0]) << "i-1 was seen ending about 100 s before i-2 timed out";
}

TEST_F(WorkflowTest, AFailedRunGetsItsVerdictWithoutWaitingForTheWavesStraggler) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  Zone().Set("i-1", [](FakeInstance& i) { i.patch_status = "Failed"; });
  Zone().Set("i-2", [](FakeInstance& i) { i.patch_status = "hang"; });
  options_.canary_size = 0;
  options_.error_budget = {true, 100};
  options_.patch_timeout = std::chrono::seconds(120);
  std::string run = NewRun();
  RunAll(run);
  auto failed = Get(run, "i-1").patch, hung = Get(run, "i-2").patch;
  ASSERT_EQ(failed->command_id, hung->command_id) << "one command for both";
  EXPECT_EQ(failed->status, PatchStatus::kFailed);
  EXPECT_EQ(hung->status, PatchStatus::kTimedOut);
  EXPECT_GE(SecondsBetweenIso8601(failed->finished_at, hung->finished_at), 100.0)
      << "i-1 failed at its first look, i-2 timed out after 120 s: " << failed->finished_at << " vs "
      << hung->finished_at;
}

TEST_F(WorkflowTest, PatchTimeoutCancelsTheCommand) {
  auto hang = Linux("i-hang");
  hang.patch_status = "hang";
  Zone().Add(hang);
  options_.patch_timeout = std::chrono::seconds(120);
  std::string run = NewRun();
  auto s = RunAll(run);
  EXPECT_EQ(s.failed, 1);
  auto r = Get(run, "i-hang");
  EXPECT_EQ(r.patch->status, PatchStatus::kTimedOut);
  EXPECT_EQ(Zone().Calls("CancelCommand"), 1);
}

// The timeout is acted on when it is reached, not at the next poll (here up to 50 s later): a
// wave whose slowest run hangs lasts the timeout, not the timeout plus a poll.
TEST_F(WorkflowTest, PatchTimeoutIsActedOnAtItsDeadlineNotAtThePollAfter) {
  auto hang = Linux("i-hang");
  hang.patch_status = "hang";
  Zone().Add(hang);
  options_.patch_timeout = std::chrono::seconds(120);
  options_.poll_interval = std::chrono::seconds(50);
  std::string run = NewRun();
  RunAll(run);
  auto sends = Zone().CallTimes("SendCommand");  // the precheck's, then the patch's
  auto cancels = Zone().CallTimes("CancelCommand");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0] - sends.back(), std::chrono::seconds(120));
  EXPECT_EQ(Get(run, "i-hang").patch->status, PatchStatus::kTimedOut);
}

TEST_F(WorkflowTest, PartialSuccessWhenARebootIsPendingAndFailureWhenPatchesFail) {
  auto reboot = Linux("i-reboot");
  reboot.patch_state.installed_pending_reboot = 2;
  auto failing = Linux("i-fail");
  failing.patch_state.failed = 1;
  Zone().Add(reboot);
  Zone().Add(failing);
  options_.canary_size = 0;
  options_.error_budget = {true, 100};
  std::string run = NewRun();
  RunAll(run);
  EXPECT_EQ(Get(run, "i-reboot").patch->status, PatchStatus::kPartialSuccess);
  EXPECT_EQ(Get(run, "i-fail").patch->status, PatchStatus::kFailed);
}

// NoReboot chosen on purpose (issue 11): patches waiting only for a reboot are
// installed_pending_reboot, counted as succeeded and never as a failure, so they spend no error
// budget: with a budget of 0 and a canary, every wave still runs.
TEST_F(WorkflowTest, NoRebootGivesInstalledPendingRebootAndSpendsNoErrorBudget) {
  for (const char* id : {"i-1", "i-2", "i-3"}) {
    auto i = Linux(id);
    i.patch_state.installed_pending_reboot = 2;
    Zone().Add(i);
  }
  options_.reboot_option = "NoReboot";
  options_.canary_size = 1;
  options_.wave_size = 1;
  options_.error_budget = {false, 0};
  std::string run = NewRun();
  auto patch = RunAll(run);
  EXPECT_EQ(patch.succeeded, 3);
  EXPECT_EQ(patch.failed, 0);
  EXPECT_EQ(patch.skipped, 0);
  EXPECT_FALSE(patch.budget_spent);
  for (const char* id : {"i-1", "i-2", "i-3"}) {
    auto r = Get(run, id);
    ASSERT_TRUE(r.patch.has_value()) << id;
    EXPECT_EQ(r.patch->status, PatchStatus::kInstalledPendingReboot) << id;
    EXPECT_EQ(r.patch->reason, "2 patch(es) installed, waiting for a reboot (RebootOption NoReboot)") << id;
    EXPECT_TRUE(r.patch->error.message.empty()) << id;
  }
}

// RebootIfNeeded (issue 11): a patched instance must be back (agent Online, status checks ok)
// within timeouts.reboot. One that comes back after a few checks is a success; one that never does
// is failed with what was missing, and that failure spends the error budget like any other.
TEST_F(WorkflowTest, RebootIfNeededWaitsForTheInstanceToComeBack) {
  auto slow = Linux("i-a-slow");
  slow.reboot_checks = 2;
  Zone().Add(slow);
  auto gone = Linux("i-b-gone");
  gone.reboot_checks = -1;
  Zone().Add(gone);
  Zone().Add(Linux("i-c-later"));
  options_.canary_size = 0;
  options_.wave_size = 2;  // i-a-slow and i-b-gone first (instance order), then i-c-later
  options_.error_budget = {false, 0};
  options_.reboot_timeout = std::chrono::seconds(120);
  std::string run = NewRun();
  auto patch = RunAll(run);
  auto slow_r = Get(run, "i-a-slow");
  EXPECT_EQ(slow_r.patch->status, PatchStatus::kSuccess) << slow_r.patch->reason;
  auto gone_r = Get(run, "i-b-gone");
  EXPECT_EQ(gone_r.patch->status, PatchStatus::kFailed);
  EXPECT_EQ(gone_r.patch->reason,
            "not back from the patch reboot within timeouts.reboot (120 s): SSM agent ConnectionLost, system "
            "status "
            "check initializing, instance status check initializing");
  EXPECT_EQ(Get(run, "i-c-later").patch->status, PatchStatus::kSkipped)
      << "the reboot failure spent the budget";
  EXPECT_EQ(patch.failed, 1);
  EXPECT_TRUE(patch.budget_spent);
  EXPECT_GE(Zone().Calls("DescribeInstanceStatus"), 3);
}

TEST_F(WorkflowTest, NoRebootDoesNotWaitForAReboot) {
  Zone().Add(Linux("i-1"));
  options_.reboot_option = "NoReboot";
  std::string run = NewRun();
  RunAll(run);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Zone().Calls("DescribeInstanceStatus"), 0);
}

// patch.fail_on_pending_reboot: the same instance is a partial success (an instance outcome the
// run reports as a failure), not installed_pending_reboot.
TEST_F(WorkflowTest, NoRebootWithFailOnPendingRebootIsAPartialSuccess) {
  auto i = Linux("i-1");
  i.patch_state.installed_pending_reboot = 2;
  Zone().Add(i);
  options_.reboot_option = "NoReboot";
  options_.fail_on_pending_reboot = true;
  std::string run = NewRun();
  RunAll(run);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kPartialSuccess);
}

// A precheck line of `mounts` mounts, all healthy.
std::string PrecheckWithMounts(int mounts) {
  std::string disks;
  for (int m = 0; m < mounts; ++m) {
    disks += std::string(m ? "," : "") + "{\"mount\":\"/data/volume-" + std::to_string(m) +
             "\",\"size_kb\":20971520,\"avail_kb\":10485760}";
  }
  return "FLEETPATCH_PRECHECK_V1 {\"disks\":[" + disks +
         "],\"cpus\":2,\"load1\":0.2,\"mem_total_kb\":4000000,\"mem_available_kb\":3000000,"
         "\"services\":{\"sshd\":\"active\"},\"reboot_required\":false,\"pkg_lock\":false}\n";
}

// Issue 11: an instance with 80 mounts has a precheck output longer than the 2,500 characters
// ListCommandInvocations returns; the whole output is read with GetCommandInvocation (only for it),
// so the instance is ready instead of failing on a cut line. Past GetCommandInvocation's 24,000 the
// output is cut for good: failed, saying so.
TEST_F(WorkflowTest, LongPrecheckOutputIsReadWholeWithGetCommandInvocation) {
  Zone().Add(Linux("i-short"));
  auto many = Linux("i-80-mounts");
  many.precheck_output = PrecheckWithMounts(80);
  ASSERT_GT(many.precheck_output.size(), 2500u);
  ASSERT_LT(many.precheck_output.size(), 24000u);
  Zone().Add(many);
  auto huge = Linux("i-huge");
  huge.precheck_output = PrecheckWithMounts(400);
  ASSERT_GT(huge.precheck_output.size(), 24000u);
  Zone().Add(huge);
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  options_.backup_enabled = false;
  ASSERT_TRUE(Make()->Backup(run, zones_).ok());
  ASSERT_TRUE(Make()->Precheck(run, zones_).ok());
  EXPECT_EQ(Get(run, "i-short").precheck->status, PrecheckStatus::kReady);
  auto many_r = Get(run, "i-80-mounts");
  EXPECT_EQ(many_r.precheck->status, PrecheckStatus::kReady) << many_r.precheck->error.message;
  auto huge_r = Get(run, "i-huge");
  EXPECT_EQ(huge_r.precheck->status, PrecheckStatus::kFailed);
  EXPECT_EQ(huge_r.precheck->error.code, "PrecheckOutputTooLong");
  EXPECT_EQ(Zone().Calls("GetCommandInvocation"), 2) << "only the two cut outputs are read again";
}

TEST_F(WorkflowTest, PrecheckOutcomes) {
  Zone().Add(Linux("i-ready"));
  auto full = Linux("i-full");
  full.precheck_output =
      "FLEETPATCH_PRECHECK_V1 "
      "{\"disks\":[{\"mount\":\"/\",\"size_kb\":1000000,\"avail_kb\":10000}],\"cpus\":1,"
      "\"load1\":0.1,\"mem_total_kb\":100,\"mem_available_kb\":50,\"services\":{\"sshd\":\"active\"}}";
  Zone().Add(full);
  auto lost = Linux("i-lost");
  lost.ssm->ping_status = "ConnectionLost";
  Zone().Add(lost);
  auto undeliverable = Linux("i-undeliverable");
  undeliverable.precheck_status = "DeliveryTimedOut";
  Zone().Add(undeliverable);
  auto win = Linux("i-win");
  win.ssm->platform_type = "Windows";
  Zone().Add(win);

  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  // i-lost is not eligible at scan; make its agent come back before the precheck starts... it stays
  // lost here, so the scan already excludes it.
  EXPECT_EQ(Get(run, "i-lost").info.ineligible_reason, "SSM agent offline (PingStatus ConnectionLost)");
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  Zone().Set("i-ready", [](FakeInstance&) {});
  auto p = wf->Precheck(run, zones_);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(Get(run, "i-ready").precheck->status, PrecheckStatus::kReady);
  EXPECT_EQ(Get(run, "i-win").precheck->status, PrecheckStatus::kReady);
  auto full_r = Get(run, "i-full");
  EXPECT_EQ(full_r.precheck->status, PrecheckStatus::kNotReady);
  ASSERT_FALSE(full_r.precheck->reasons.empty());
  EXPECT_EQ(full_r.precheck->reasons[0], "disk_free_percent:/ is 1.0% (required >= 10.0%)");
  EXPECT_EQ(Get(run, "i-undeliverable").precheck->status, PrecheckStatus::kUnreachable);
  EXPECT_EQ(Zone().Calls("SendCommand"), 2);  // one per platform
}

TEST_F(WorkflowTest, AgentLostAfterScanIsUnreachableAfterTheSsmTimeout) {
  Zone().Add(Linux("i-1"));
  std::string run = NewRun();
  auto wf2 = ScanThenLoseAgent(run, "i-1");
  ASSERT_NE(wf2, nullptr);
  ASSERT_TRUE(wf2->Precheck(run, zones_).ok());
  auto r = Get(run, "i-1");
  EXPECT_EQ(r.precheck->status, PrecheckStatus::kUnreachable);
  EXPECT_NE(r.precheck->reasons[0].find("PingStatus ConnectionLost after 300 s"), std::string::npos);
  EXPECT_EQ(Zone().Calls("SendCommand"), 0);
}

TEST_F(WorkflowTest, ALostAgentDoesNotHoldUpThePrecheckOfTheOthers) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  std::string run = NewRun();
  auto wf2 = ScanThenLoseAgent(run, "i-2");
  ASSERT_NE(wf2, nullptr);
  const auto start = clock_.Now();
  std::vector<std::chrono::system_clock::time_point> sends;
  Zone().on_send = [&](const std::string&) { sends.push_back(clock_.Now()); };
  ASSERT_TRUE(wf2->Precheck(run, zones_).ok());
  // i-1 was prechecked straight away, not after i-2's 300 s ssm_connection timeout.
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_LT(sends[0] - start, std::chrono::seconds(1));
  EXPECT_EQ(Get(run, "i-1").precheck->status, PrecheckStatus::kReady);
  EXPECT_EQ(Get(run, "i-2").precheck->status, PrecheckStatus::kUnreachable);
  EXPECT_GE(clock_.Now() - start, std::chrono::seconds(300));  // i-2 was waited for the whole timeout
}

TEST_F(WorkflowTest, AnAgentBackOnlineBeforeTheTimeoutIsPrecheckedThen) {
  Zone().Add(Linux("i-1"));
  std::string run = NewRun();
  auto wf2 = ScanThenLoseAgent(run, "i-1");
  ASSERT_NE(wf2, nullptr);
  const auto start = clock_.Now();
  // The agent reconnects 35 s into the precheck.
  Zone().on_describe_information = [&](std::map<std::string, FakeInstance>& instances) {
    if (clock_.Now() - start >= std::chrono::seconds(35)) instances.at("i-1").ssm->ping_status = "Online";
  };
  ASSERT_TRUE(wf2->Precheck(run, zones_).ok());
  EXPECT_EQ(Get(run, "i-1").precheck->status, PrecheckStatus::kReady);
  EXPECT_EQ(Zone().Calls("SendCommand"), 1);
  EXPECT_LT(clock_.Now() - start, std::chrono::seconds(300));  // no wait for the whole timeout
}

TEST_F(WorkflowTest, ZoneWhoseRoleCannotBeAssumedIsReportedWhileOthersGoOn) {
  AddZone("broken");
  connector_.auth_failures.insert("broken");
  Zone().Add(Linux("i-1"));
  std::string run = NewRun();
  auto wf = Make();
  auto s = wf->Scan(run, zones_);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->zone_errors.size(), 1u);
  EXPECT_EQ(s->zone_errors[0].category, ErrorCategory::kAuth);
  auto zones = store_->LoadZones(run);
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ((*zones)[1].error.category, "authentication");
  EXPECT_EQ(s->succeeded, 1);
}

TEST_F(WorkflowTest, DryRunMakesNoMutatingCall) {
  Zone().Add(Linux("i-1"));
  options_.dry_run = true;
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  ASSERT_TRUE(wf->Precheck(run, zones_).ok());
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().message;
  EXPECT_EQ(Zone().MutatingCalls(), 0);
  auto plan = wf->Plan();
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[2],
            "patch: would run AWS-RunPatchBaseline (Install, RebootIfNeeded) on i-1 (prod-a) in the canary "
            "wave, once "
            "its backup is available and its precheck passes");
  EXPECT_EQ(plan[0], "backup: would create AMI " + AmiName(run, "i-1") + " of i-1 (prod-a)");
}

TEST_F(WorkflowTest, PhaseWithoutItsPrerequisiteSaysWhichToRunFirst) {
  std::string run = NewRun();
  auto r = Make()->Patch(run, zones_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kValidation);
  EXPECT_NE(r.error().message.find("run `--workflow precheck` before `--workflow patch`"), std::string::npos);
}

TEST_F(WorkflowTest, ScanThatFindsNothingIsAValidationError) {
  std::string run = NewRun();
  auto r = Make()->Scan(run, zones_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kValidation);
}

TEST_F(WorkflowTest, FreshBackupRecordsIntentBeforeCreateImageAndLooksNothingUpByTag) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  std::vector<std::string> seen;  // what the state held for each instance when its CreateImage came
  Zone().on_create = [&](const std::string& id, const std::string& name) {
    auto r = Get(run, id);
    seen.push_back(id + " " + (r.backup ? BackupStatusName(r.backup->status) : "none") + " " +
                   (r.backup && r.backup->ami_name == name ? "named" : "unnamed") + " " +
                   (r.backup && r.backup->ami_id.empty() ? "no-id" : "id"));
  };
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"i-1 pending named no-id", "i-2 pending named no-id"}));
  EXPECT_EQ(Zone().Calls("DescribeImagesByTag"), 0);  // a fresh run has no AMIs to find
  EXPECT_EQ(Zone().Calls("CreateImage"), 2);
  EXPECT_EQ(Zone().Calls("DescribeImages"), 1);  // one poll, one interval after the CreateImages
  EXPECT_EQ(Get(run, "i-1").backup->status, BackupStatus::kAvailable);
}

TEST_F(WorkflowTest, RunKilledBetweenIntentAndCreateImageAnswerResumesWithoutASecondAmi) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  Zone().Add(Linux("i-3"));
  std::string run = NewRun();
  ASSERT_TRUE(Make()->Scan(run, zones_).ok());
  // The killed attempt: both intents recorded; i-1's CreateImage went out (the AMI exists) but the
  // answer never got recorded; i-2's was never sent. i-3 had not been reached.
  for (const char* id : {"i-1", "i-2"}) {
    BackupResult intent;
    intent.status = BackupStatus::kPending;
    intent.ami_name = AmiName(run, id);
    ASSERT_TRUE(store_->SaveBackup(run, "prod-a", id, intent).ok());
  }
  auto earlier =
      Zone().CreateImage("i-1", AmiName(run, "i-1"), "", true,
                         {{"fleetpatch:run-id", run}, {"fleetpatch:backup-name", AmiName(run, "i-1")}});
  ASSERT_TRUE(earlier.ok());

  ASSERT_TRUE(Make()->Backup(run, zones_).ok());
  EXPECT_EQ(Zone().Calls("DescribeImagesByTag"), 1);  // the resume lookup, once for the zone
  EXPECT_EQ(Zone().Calls("CreateImage"), 1 + 2);      // the earlier one, then i-2 and i-3 only
  auto i1 = Get(run, "i-1");
  EXPECT_EQ(i1.backup->ami_id, *earlier);
  EXPECT_EQ(i1.backup->status, BackupStatus::kAvailable);
  EXPECT_EQ(Get(run, "i-2").backup->status, BackupStatus::kAvailable);
  EXPECT_NE(Get(run, "i-2").backup->ami_id, *earlier);
  EXPECT_EQ(Get(run, "i-3").backup->status, BackupStatus::kAvailable);
}

TEST_F(WorkflowTest, AmiFromAnAttemptWithoutIntentRecordIsAdoptedByItsDuplicateName) {
  Zone().Add(Linux("i-1"));
  std::string run = NewRun();
  // Made by a version that recorded no intent, whose answer was lost.
  Zone().AddImage(BackupImage(run, "i-1", "ami-earlier", "i-1"));
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  EXPECT_EQ(Zone().Calls("CreateImage"), 1);          // answered InvalidAMIName.Duplicate
  EXPECT_EQ(Zone().Calls("DescribeImagesByTag"), 1);  // by its backup-name tag
  EXPECT_EQ(Get(run, "i-1").backup->ami_id, "ami-earlier");
  EXPECT_EQ(Get(run, "i-1").backup->status, BackupStatus::kAvailable);
}

// Someone with ec2:CreateTags plants an AMI named and tagged like this run's backup of i-1 (names
// are predictable from the run id), made from another instance: it is never adopted.
TEST_F(WorkflowTest, AnAmiWithOurNameAndTagsButAnotherSourceIsNotAdopted) {
  Zone().Add(Linux("i-1"));
  std::string run = NewRun();
  Zone().AddImage(BackupImage(run, "i-1", "ami-planted", "i-attacker"));
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  auto b = Get(run, "i-1").backup;
  EXPECT_NE(b->ami_id, "ami-planted");
  EXPECT_EQ(b->status, BackupStatus::kFailed);
  EXPECT_NE(b->error.message.find("source instance is i-attacker, not i-1"), std::string::npos)
      << b->error.message;
  EXPECT_EQ(Zone().DeregisteredImages().count("ami-planted"), 0u);

  // The same AMI met by a resumed run's lookup by run tag is not reused either.
  std::string run2 = NewRun();
  ImageView planted = BackupImage(run2, "i-1", "ami-planted2", "i-attacker");
  Zone().AddImage(planted);
  ASSERT_TRUE(Make()->Scan(run2, zones_).ok());
  BackupResult intent;
  intent.status = BackupStatus::kPending;
  intent.ami_name = planted.name;
  ASSERT_TRUE(store_->SaveBackup(run2, "prod-a", "i-1", intent).ok());
  ASSERT_TRUE(Make()->Backup(run2, zones_).ok());
  EXPECT_NE(Get(run2, "i-1").backup->ami_id, "ami-planted2");
}

// Snapshots tagged with a failed AMI's backup name are not proof: only those the AMI's own block
// device mappings list, and that the account owns, are deleted.
TEST_F(WorkflowTest, FailedAmiCleanupDeletesOnlyItsOwnSnapshots) {
  auto bad = Linux("i-bad");
  bad.ami_outcome = "failed";
  Zone().Add(bad);
  options_.canary_size = 0;
  std::string run = NewRun();
  const std::string name = AmiName(run, "i-bad");
  Zone().AddSnapshot("snap-victim", {{"fleetpatch:backup-name", name}, {"fleetpatch:run-id", run}});
  Zone().AddSnapshot("snap-foreign", {{"fleetpatch:backup-name", name}}, "222222222222");
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  auto b = Get(run, "i-bad").backup;
  EXPECT_EQ(b->status, BackupStatus::kFailed);
  EXPECT_TRUE(b->cleaned_up);
  ASSERT_EQ(b->snapshot_ids.size(), 1u);
  EXPECT_EQ(Zone().DeletedSnapshots(), (std::set<std::string>{b->snapshot_ids[0]}));
  EXPECT_EQ(Zone().DeregisteredImages(), (std::set<std::string>{b->ami_id}));
}

TEST_F(WorkflowTest, FirstPollComesAtTheFirstMomentAnythingCanHaveFinished) {
  Zone().Add(Linux("i-1"));
  options_.canary_size = 0;
  options_.poll_interval = std::chrono::seconds(7);
  options_.ami_first_poll = std::chrono::seconds(60);  // capped at the poll interval
  options_.precheck_first_poll = std::chrono::seconds(2);
  options_.patch_first_poll = std::chrono::seconds(5);
  std::string run = NewRun();
  RunAll(run);
  auto created = Zone().CallTimes("CreateImage");
  auto images = Zone().CallTimes("DescribeImages");
  ASSERT_EQ(created.size(), 1u);
  ASSERT_EQ(images.size(), 1u);  // the fake's AMI is done at its first poll
  EXPECT_EQ(images[0] - created[0], std::chrono::seconds(7));
  auto sends = Zone().CallTimes("SendCommand");
  auto lists = Zone().CallTimes("ListCommandInvocations");
  ASSERT_EQ(sends.size(), 2u);  // precheck, patch
  ASSERT_EQ(lists.size(), 4u);  // the fake's commands are done at their second poll
  EXPECT_EQ(lists[0] - sends[0], std::chrono::seconds(2));
  EXPECT_EQ(lists[1] - lists[0], std::chrono::seconds(4));  // then twice the first wait
  EXPECT_EQ(lists[2] - sends[1], std::chrono::seconds(5));
  EXPECT_EQ(lists[3] - lists[2], std::chrono::seconds(7));  // twice 5 s, capped at the poll interval
}

// The reboot wait (issue 10): the first check whether the patched instances are back comes
// first_poll.reboot after their commands were seen to end, for the whole batch (one that did not
// reboot waits for it too); what is still coming back is checked again after waits doubling from
// it, up to the poll interval.
TEST_F(WorkflowTest, RebootWaitChecksAtFirstPollRebootThenAtDoublingWaits) {
  auto slow = Linux("i-1");
  slow.reboot_checks = 3;  // still initializing at three checks
  Zone().Add(slow);
  Zone().Add(Linux("i-2"));  // back at once
  options_.canary_size = 0;
  options_.reboot_first_poll = std::chrono::seconds(2);
  std::string run = NewRun();
  RunAll(run);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Get(run, "i-2").patch->status, PatchStatus::kSuccess);
  auto verified = Zone().CallTimes("DescribeInstancePatchStates");
  auto checks = Zone().CallTimes("DescribeInstanceStatus");
  ASSERT_EQ(verified.size(), 1u);
  ASSERT_EQ(checks.size(), 4u) << "one call per check for both, then for i-1 alone";
  EXPECT_EQ(checks[0] - verified[0], std::chrono::seconds(2));
  EXPECT_EQ(checks[1] - checks[0], std::chrono::seconds(4));
  EXPECT_EQ(checks[2] - checks[1], std::chrono::seconds(8));
  EXPECT_EQ(checks[3] - checks[2], std::chrono::seconds(10));  // 16 s, capped at the poll interval
}

// ---- the pipeline (a full run) ------------------------------------------------------------------

TEST_F(WorkflowTest, PipelineRunsBackupAndPrecheckAtTheSameTime) {
  Zone().Add(Linux("i-1"));
  Zone().Set("i-1", [](FakeInstance& i) { i.ami_pending_polls = 3; });
  std::string run = NewRun();
  auto all = RunPipeline(run);
  ASSERT_EQ(all.size(), 3u);
  auto sends = Zone().CallTimes("SendCommand");
  auto created = Zone().CallTimes("CreateImage");
  auto images = Zone().CallTimes("DescribeImages");
  ASSERT_EQ(sends.size(), 2u);
  ASSERT_EQ(images.size(), 4u);
  EXPECT_EQ(sends[0], created[0]) << "the precheck is sent while the AMI is being made";
  EXPECT_LT(sends[1], images[3] + std::chrono::seconds(1))
      << "patched at the poll that saw the AMI available";
  EXPECT_GT(sends[1], images[3] - std::chrono::seconds(1));
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  auto got = store_->GetRun(run);
  EXPECT_EQ(got->phases_completed, (std::vector<std::string>{"scan", "backup", "precheck", "patch"}));
  EXPECT_EQ(all[0].succeeded, 1);
  EXPECT_EQ(all[1].succeeded, 1);
  EXPECT_EQ(all[2].succeeded, 1);
}

TEST_F(WorkflowTest, PipelinePatchesAnInstanceWhoseAmiBecomesAvailableAfterItsPrecheck) {
  Zone().Add(Linux("i-1"));
  Zone().Set("i-1", [](FakeInstance& i) { i.ami_pending_polls = 5; });
  options_.canary_size = 0;
  std::string run = NewRun();
  RunPipeline(run);
  auto r = Get(run, "i-1");
  ASSERT_TRUE(r.precheck && r.backup && r.patch);
  EXPECT_LT(r.precheck->finished_at, r.backup->finished_at);  // ready first, backed up later
  EXPECT_EQ(r.patch->status, PatchStatus::kSuccess);
  EXPECT_GE(r.patch->started_at, r.backup->finished_at) << "never patched before its AMI was available";
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-1"}));
}

TEST_F(WorkflowTest, PipelineNeverPatchesAnInstanceWhoseAmiFails) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  Zone().Set("i-1", [](FakeInstance& i) { i.ami_outcome = "failed"; });
  options_.canary_size = 0;
  std::string run = NewRun();
  auto all = RunPipeline(run);
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-2"}));
  auto r = Get(run, "i-1");
  EXPECT_EQ(r.backup->status, BackupStatus::kFailed);
  EXPECT_TRUE(r.backup->cleaned_up);
  EXPECT_EQ(r.precheck->status, PrecheckStatus::kReady);
  EXPECT_EQ(r.patch->status, PatchStatus::kSkipped);
  EXPECT_EQ(r.patch->reason, "required backup is failed: never patched without a backup");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].failed, 1);
  EXPECT_EQ(all[2].skipped, 1);
  EXPECT_EQ(all[2].succeeded, 1);
}

TEST_F(WorkflowTest, PipelineLeavesAnInstanceWhoseAmiIsPendingOutOfTheCanary) {
  Zone().Add(Linux("i-1"));  // first in the run's order, but its AMI is slow
  Zone().Add(Linux("i-2"));
  Zone().Set("i-1", [](FakeInstance& i) { i.ami_pending_polls = 4; });
  options_.canary_size = 1;
  std::string run = NewRun();
  RunPipeline(run);
  EXPECT_EQ(Get(run, "i-2").patch->wave, 0) << "the canary is an instance that qualified";
  EXPECT_EQ(Get(run, "i-1").patch->wave, 1);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-2", "i-1"}));
}

TEST_F(WorkflowTest, PipelineFailedCanaryStopsEveryLaterWaveInEveryZone) {
  auto& b = *AddZone("prod-b");
  Zone().Add(Linux("i-a1"));
  Zone().Add(Linux("i-a2"));
  b.Add(Linux("i-b1"));
  b.Add(Linux("i-b2"));
  for (const char* id : {"i-a1", "i-a2"}) Zone().Set(id, [](FakeInstance& i) { i.patch_status = "Failed"; });
  for (const char* id : {"i-b1", "i-b2"}) b.Set(id, [](FakeInstance& i) { i.patch_status = "Failed"; });
  options_.canary_size = 1;
  options_.zone_workers = 2;
  options_.error_budget = {true, 100};  // the canary alone stops it
  std::string run = NewRun();
  auto all = RunPipeline(run);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(all[2].budget_spent);
  EXPECT_EQ(all[2].failed, 1);
  EXPECT_EQ(all[2].skipped, 3);
  auto patched = Zone().PatchedIds();
  for (const auto& id : b.PatchedIds()) patched.push_back(id);
  ASSERT_EQ(patched.size(), 1u) << "the canary only, whichever zone it is in";
  for (const char* id : {"i-a1", "i-a2", "i-b1", "i-b2"}) {
    if (id == patched[0]) continue;
    auto r = Get(run, id);
    ASSERT_TRUE(r.patch) << id;
    EXPECT_EQ(r.patch->status, PatchStatus::kSkipped) << id;
    EXPECT_EQ(r.patch->reason, "canary wave failed: rollout stopped") << id;
  }
}

TEST_F(WorkflowTest, PipelineErrorBudgetStopsLaterWaves) {
  for (const char* id : {"i-1", "i-2", "i-3", "i-4"}) Zone().Add(Linux(id));
  Zone().Set("i-1", [](FakeInstance& i) { i.patch_status = "Failed"; });
  Zone().Set("i-2", [](FakeInstance& i) { i.patch_status = "Failed"; });
  options_.canary_size = 0;
  options_.wave_size = 1;
  options_.error_budget = {false, 1};
  std::string run = NewRun();
  auto all = RunPipeline(run);
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_EQ(Get(run, "i-3").patch->reason, "error budget spent (2 failures, 1 allowed): rollout stopped");
  EXPECT_EQ(Get(run, "i-4").patch->status, PatchStatus::kSkipped);
  EXPECT_TRUE(all[2].budget_spent);
}

TEST_F(WorkflowTest, PipelineWindowsRefillAsItemsFinish) {
  for (int n = 1; n <= 6; ++n) Zone().Add(Linux("i-" + std::to_string(n)));
  options_.max_pending_images = 2;
  options_.max_commands = 2;
  options_.canary_size = 0;
  std::string run = NewRun();
  RunPipeline(run);
  EXPECT_LE(Zone().MaxPendingImages(), 2);
  EXPECT_EQ(Zone().Calls("CreateImage"), 6);
  EXPECT_EQ(Zone().PatchedIds().size(), 6u);
}

// The client's EC2 budget lets 2 CreateImage go at once, then 1 a second: the backup starts what
// can go now and comes back for the rest, so no call waits for the budget inside the zone's loop
// and the zone's precheck is sent while AMIs are still to start (not after all of them).
TEST_F(WorkflowTest, PipelineStartsOnlyTheAmisTheBudgetLetsGoNow) {
  for (int n = 1; n <= 6; ++n) Zone().Add(Linux("i-" + std::to_string(n)));
  Zone().Pace("CreateImage", {/*burst=*/2, /*per_second=*/1});
  options_.canary_size = 0;
  std::string run = NewRun();
  RunPipeline(run);
  EXPECT_EQ(Zone().Calls("CreateImage"), 6);
  EXPECT_EQ(Zone().WaitedInside("CreateImage"), std::chrono::nanoseconds(0));
  auto creates = Zone().CallTimes("CreateImage");
  ASSERT_EQ(creates.size(), 6u);
  EXPECT_GE(creates[5] - creates[0], std::chrono::milliseconds(3990)) << "2 at once, then 1 a second";
  EXPECT_LT(Zone().CallTimes("SendCommand").at(0), creates[5]);
  EXPECT_EQ(Zone().PatchedIds().size(), 6u);
}

// The same for the precheck's SendCommand: 120 instances are 3 commands of 50 at most, and a
// budget of 1 command at once then 1 a second sends them one by one, none waiting inside.
TEST_F(WorkflowTest, PrecheckSendsOnlyTheCommandsTheBudgetLetsGoNow) {
  for (int n = 1; n <= 120; ++n) Zone().Add(Linux("i-" + std::to_string(n)));
  Zone().Pace("SendCommand", {/*burst=*/1, /*per_second=*/1});
  options_.max_commands = 500;  // the window lets all 3 go: only the budget holds them back
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Precheck(run, zones_).ok());
  EXPECT_EQ(Zone().Calls("SendCommand"), 3);
  EXPECT_EQ(Zone().WaitedInside("SendCommand"), std::chrono::nanoseconds(0));
  EXPECT_EQ(Get(run, "i-120").precheck->status, PrecheckStatus::kReady);
}

TEST_F(WorkflowTest, PipelineInterruptedDuringBackupAndPrecheckResumesWithoutASecondAmiOrPatch) {
  for (const char* id : {"i-1", "i-2", "i-3"}) Zone().Add(Linux(id));
  for (const char* id : {"i-1", "i-2", "i-3"})
    Zone().Set(id, [](FakeInstance& i) { i.ami_pending_polls = 2; });
  options_.canary_size = 0;
  std::string run = NewRun();
  ASSERT_TRUE(Make()->Scan(run, zones_).ok());
  // Stop as soon as the precheck is sent: the AMIs are pending, the precheck in flight.
  Zone().on_send = [](const std::string& doc) {
    if (doc == "AWS-RunShellScript") RequestInterrupt();
  };
  auto first = Make()->Pipeline(run, zones_);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_TRUE((*first)[0].interrupted);
  EXPECT_EQ(Get(run, "i-1").backup->status, BackupStatus::kPending);
  EXPECT_TRUE(Zone().PatchedIds().empty());
  auto r = store_->GetRun(run);
  EXPECT_EQ(r->phases_completed, (std::vector<std::string>{"scan"}));

  ClearInterrupt();
  Zone().on_send = nullptr;
  auto resumed = Make()->Pipeline(run, zones_);
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  EXPECT_EQ(Zone().Calls("CreateImage"), 3) << "no second AMI";
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-1", "i-2", "i-3"}));
  for (const char* id : {"i-1", "i-2", "i-3"})
    EXPECT_EQ(Get(run, id).patch->status, PatchStatus::kSuccess) << id;
  // Nothing left: a third invocation sends nothing.
  ASSERT_TRUE(Make()->Pipeline(run, zones_).ok());
  EXPECT_EQ(Zone().PatchedIds().size(), 3u);
}

TEST_F(WorkflowTest, PipelineResumesAPatchInFlightByWatchingIt) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  options_.canary_size = 0;
  std::string run = NewRun();
  const std::string cmd = PrepareThenCrashWithPatchInFlight(run, "i-1");
  ASSERT_FALSE(cmd.empty());
  auto resumed = Make()->Pipeline(run, zones_);
  ASSERT_TRUE(resumed.ok()) << resumed.error().ToString();
  EXPECT_EQ(Zone().PatchedIds(), (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_EQ(Get(run, "i-1").patch->command_id, cmd);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Get(run, "i-2").patch->status, PatchStatus::kSuccess);
}

TEST_F(WorkflowTest, FailedAmisOfAZoneAreCleanedUpWithOneSnapshotLookup) {
  for (const char* id : {"i-f1", "i-f2", "i-slow", "i-ok"}) Zone().Add(Linux(id));
  Zone().Set("i-f1", [](FakeInstance& i) { i.ami_outcome = "failed"; });
  Zone().Set("i-f2", [](FakeInstance& i) { i.ami_outcome = "failed"; });
  Zone().Set("i-slow", [](FakeInstance& i) { i.ami_outcome = "hang"; });
  options_.ami_timeout = std::chrono::seconds(60);  // i-slow times out polls after the others failed
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  EXPECT_EQ(Zone().Calls("DescribeSnapshots"), 1);
  EXPECT_EQ(Zone().Calls("DeregisterImage"), 3);
  EXPECT_EQ(Zone().Calls("DeleteSnapshot"), 3);
  auto events = store_->LoadEvents(run);
  ASSERT_TRUE(events.ok());
  for (const char* id : {"i-f1", "i-f2", "i-slow"}) {
    auto r = Get(run, id);
    EXPECT_TRUE(r.backup->cleaned_up) << id;
    ASSERT_EQ(r.backup->snapshot_ids.size(), 1u) << id;
    EXPECT_EQ(Zone().DeletedSnapshots().count(r.backup->snapshot_ids[0]), 1u) << id;
    EXPECT_EQ(Zone().DeregisteredImages().count(r.backup->ami_id), 1u) << id;
    int lines = 0;
    for (const auto& e : *events)
      if (e.instance_id == id &&
          e.message == "deregistered failed AMI " + r.backup->ami_id + " and deleted its snapshots")
        ++lines;
    EXPECT_EQ(lines, 1) << id;
  }
  EXPECT_EQ(Get(run, "i-slow").backup->status, BackupStatus::kTimedOut);
  EXPECT_EQ(Get(run, "i-ok").backup->status, BackupStatus::kAvailable);
  EXPECT_FALSE(Get(run, "i-ok").backup->cleaned_up);
}

TEST_F(WorkflowTest, ResumedPatchWatchesTheCommandInFlightInsteadOfPatchingAgain) {
  Zone().Add(Linux("i-1"));
  Zone().Add(Linux("i-2"));
  options_.canary_size = 0;
  std::string run = NewRun();
  const std::string cmd = PrepareThenCrashWithPatchInFlight(run, "i-1");
  ASSERT_FALSE(cmd.empty());

  auto resumed = Make()->Patch(run, zones_);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(Zone().PatchedIds(),
            (std::vector<std::string>{"i-1", "i-2"}));  // i-1 once, by the earlier attempt
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Get(run, "i-1").patch->command_id, cmd);
  EXPECT_EQ(Get(run, "i-2").patch->status, PatchStatus::kSuccess);

  // A third invocation finds nothing left to do and patches nothing.
  ASSERT_TRUE(Make()->Patch(run, zones_).ok());
  EXPECT_EQ(Zone().PatchedIds().size(), 2u);
}

TEST_F(WorkflowTest, InterruptLeavesInFlightWorkForResume) {
  auto i = Linux("i-1");
  i.patch_status = "hang";
  Zone().Add(i);
  std::string run = NewRun();
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  ASSERT_TRUE(wf->Precheck(run, zones_).ok());
  // Interrupt as soon as the patch command is in flight.
  Zone().on_send = [](const std::string& doc) {
    if (doc == "AWS-RunPatchBaseline") RequestInterrupt();
  };
  auto s = wf->Patch(run, zones_);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->interrupted);
  EXPECT_EQ(Get(run, "i-1").patch->status, PatchStatus::kInProgress);
  auto r = store_->GetRun(run);
  EXPECT_EQ(std::count(r->phases_completed.begin(), r->phases_completed.end(), "patch"), 0);
  ClearInterrupt();
}

}  // namespace
}  // namespace fleetpatch::workflow
