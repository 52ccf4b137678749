// Every outcome of every phase, each pinned to one named instance of tests/testdata/outcome_fleet.yml,
// through the real client stack (typed clients, protocol engine, SigV4, retries, role assumption)
// against the emulator in process. The emulator and the workflow share one FakeClock, so the hour a
// hung patch run takes passes at the speed of the polls. What the workflow recorded is checked
// against what the emulator saw: its request log and its own record of the commands each instance
// received.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "emulator/fleet.h"
#include "emulator/signed_client.h"
#include "workflow/emulator_fixture_for_test.h"

namespace fleetpatch::workflow {
namespace {

using nlohmann::json;

constexpr char kAccount[] = "111111111111";
constexpr char kLockedAccount[] = "222222222222";
constexpr char kRegion[] = "us-east-1";
constexpr char kExternalId[] = "fp-outcomes";
constexpr char kPatchDocument[] = "AWS-RunPatchBaseline";

// The instances that reach the patch phase, in the order the rollout meets them.
const std::vector<std::string> kPatchTargets = {"patch-fails",
                                                "patch-agent-lost",
                                                "patch-hangs",
                                                "patch-ok",
                                                "patch-ok-windows-asg",
                                                "patch-partial-still-missing",
                                                "patch-reboots-old-agent"};

class WorkflowOutcomesTest : public testing::EmulatorWorkflowTest {
 protected:
  void SetUp() override {
    auto fleet = emulator::LoadFleetFile(
        (std::filesystem::path(FP_SOURCE_DIR) / "tests/testdata/outcome_fleet.yml").string());
    ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
    for (const auto& in : fleet->instances) instance_ids_[in.name] = in.id;
    emulator::EmulatorOptions eo;
    eo.ssm_delivery_s = 60;  // a window for agent-lost-before-delivery (see the fleet file)
    StartEmulator(std::move(fleet).value(), eo);
    AddZone("outcomes", kAccount, kRegion, kExternalId, "outcomes");
    AddZone("locked", kLockedAccount, kRegion, kExternalId, "outcomes");
    options_.canary_size = 0;
  }

  // Scan, backup and precheck; returns the run id. Each phase must succeed as a whole.
  std::string RunUpToPrecheck(Workflow& wf) {
    std::string run = NewRun();
    auto scan = wf.Scan(run, zones_);
    EXPECT_TRUE(scan.ok()) << scan.error().ToString();
    if (scan.ok()) scan_ = *scan;
    auto backup = wf.Backup(run, zones_);
    EXPECT_TRUE(backup.ok()) << backup.error().ToString();
    if (backup.ok()) backup_ = *backup;
    auto pre = wf.Precheck(run, zones_);
    EXPECT_TRUE(pre.ok()) << pre.error().ToString();
    if (pre.ok()) precheck_ = *pre;
    before_patch_ = emu_->RequestCounts();
    return run;
  }

  // The run's instances by name.
  std::map<std::string, InstanceRun> ByName(const std::string& run) {
    auto snap = store_->LoadSnapshot(run);
    EXPECT_TRUE(snap.ok()) << snap.error().ToString();
    std::map<std::string, InstanceRun> out;
    if (snap.ok())
      for (auto& i : snap->instances) out[i.info.name] = i;
    return out;
  }

  // A raw client on the outcomes zone's role, to ask the emulator what it holds.
  emulator::SignedClient ZoneClient() {
    emulator::SignedClient base(*emu_, clock_, emu_->BaseCredentials());
    emulator::RawReply assumed = base.Query("sts", kRegion, "AssumeRole",
                                            {{"RoleArn", emulator::RoleArn(kAccount, "FleetPatchRole")},
                                             {"RoleSessionName", "outcome-test"},
                                             {"ExternalId", kExternalId}});
    EXPECT_EQ(assumed.status, 200) << assumed.body;
    aws::Credentials c;
    c.access_key_id = assumed.XmlText("AccessKeyId");
    c.secret_access_key = assumed.XmlText("SecretAccessKey");
    c.session_token = assumed.XmlText("SessionToken");
    return emulator::SignedClient(*emu_, clock_, c);
  }

  // The emulator's own record of the AWS-RunPatchBaseline invocations an instance received
  // ("Status/StatusDetails" each), read back through SSM's ListCommandInvocations.
  std::vector<std::string> PatchInvocations(const std::string& name) {
    emulator::SignedClient client = ZoneClient();
    emulator::RawReply r = client.Ssm(kRegion, "ListCommandInvocations",
                                      {{"InstanceId", instance_ids_.at(name)},
                                       {"Filters", {{{"key", "DocumentName"}, {"value", kPatchDocument}}}}});
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    for (const auto& inv : r.json["CommandInvocations"]) {
      EXPECT_EQ(inv["DocumentName"], kPatchDocument);
      out.push_back(inv.value("Status", "?") + "/" + inv.value("StatusDetails", "?"));
    }
    return out;
  }

  // The emulator's answer to DescribeImages / DescribeSnapshots for one id: the resource's state,
  // or the error code.
  std::string Ec2Answer(const std::string& action, const std::string& param, const std::string& id) {
    emulator::SignedClient client = ZoneClient();
    emulator::RawReply r = client.Query("ec2", kRegion, action, {{param, id}});
    if (!r.aws_code.empty()) return r.aws_code;
    std::string state = r.XmlText(action == "DescribeImages" ? "imageState" : "status");
    return state.empty() ? "absent" : state;
  }

  std::map<std::string, std::string> instance_ids_;  // name -> id
  PhaseSummary scan_, backup_, precheck_;
  std::map<std::string, int> before_patch_;  // the emulator's request counts after the precheck
};

std::string Reasons(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& r : v) s += (s.empty() ? "" : " | ") + r;
  return s;
}

TEST_F(WorkflowOutcomesTest, EveryInstanceEndsWithItsOwnOutcome) {
  auto connector = Connector();
  auto wf = Make(connector);
  const std::string run = RunUpToPrecheck(*wf);
  emu_->ClearRequestLog();
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  const auto patch_counts = emu_->RequestCounts();
  auto all = ByName(run);

  // --- the landing zone whose role cannot be assumed: reported with the auth error, others go on.
  ASSERT_EQ(scan_.zone_errors.size(), 1u);
  EXPECT_EQ(scan_.zone_errors[0].category, ErrorCategory::kAuth);
  EXPECT_NE(scan_.zone_errors[0].message.find("landing zone 'locked'"), std::string::npos)
      << scan_.zone_errors[0].message;
  EXPECT_EQ(all.count("behind-a-locked-role"), 0u);
  auto zones = store_->LoadZones(run);
  ASSERT_TRUE(zones.ok());
  for (const auto& z : *zones) {
    if (z.name == "locked") {
      EXPECT_EQ(z.error.category, CategoryName(ErrorCategory::kAuth)) << z.error.message;
    } else {
      EXPECT_TRUE(z.error.message.empty()) << z.name << ": " << z.error.message;
    }
  }

  // --- scan: each ineligibility reason, and nothing further happens to those instances.
  const std::map<std::string, std::string> ineligible = {
      {"stopped", "instance is stopped (only running instances are patched)"},
      {"agent-connection-lost", "SSM agent offline (PingStatus ConnectionLost)"},
      {"agent-inactive", "SSM agent offline (PingStatus Inactive)"},
      {"not-registered-with-ssm", "SSM agent not registered (no managed instance in Systems Manager)"},
      {"macos-unsupported", "unsupported platform 'macos'"},
      {"excluded-by-tag", "excluded by tag fleetpatch:skip=true"},
  };
  for (const auto& [name, reason] : ineligible) {
    SCOPED_TRACE(name);
    ASSERT_EQ(all.count(name), 1u);
    const InstanceRun& i = all[name];
    EXPECT_FALSE(i.info.eligible);
    EXPECT_EQ(i.info.ineligible_reason, reason);
    EXPECT_FALSE(i.backup.has_value());
    EXPECT_FALSE(i.precheck.has_value());
    EXPECT_FALSE(i.patch.has_value());
  }
  EXPECT_EQ(all.size(), 22u);  // 6 ineligible + 16 eligible, the locked zone's instance never seen
  EXPECT_EQ(scan_.succeeded, 16);
  EXPECT_EQ(scan_.skipped, 6);
  for (const auto& [name, i] : all) {
    if (ineligible.count(name)) continue;
    EXPECT_TRUE(i.info.eligible) << name << ": " << i.info.ineligible_reason;
  }

  // --- backup: a failed and a timed-out AMI, both deregistered with their snapshots; the rest available.
  {
    ASSERT_TRUE(all["ami-fails"].backup.has_value());
    const BackupResult& b = *all["ami-fails"].backup;
    EXPECT_EQ(b.status, BackupStatus::kFailed);
    EXPECT_EQ(b.error.code, "BackupFailed");
    EXPECT_NE(b.error.message.find(b.ami_id + " failed"), std::string::npos) << b.error.message;
    EXPECT_TRUE(b.cleaned_up);
    EXPECT_EQ(b.snapshot_ids.size(), 1u);
  }
  {
    ASSERT_TRUE(all["ami-never-ready"].backup.has_value());
    const BackupResult& b = *all["ami-never-ready"].backup;
    EXPECT_EQ(b.status, BackupStatus::kTimedOut);
    EXPECT_EQ(b.error.code, "BackupTimedOut");
    EXPECT_NE(b.error.message.find("not available after 1800 s (workflow.timeouts.ami_creation)"),
              std::string::npos)
        << b.error.message;
    EXPECT_TRUE(b.cleaned_up);
    EXPECT_EQ(b.snapshot_ids.size(), 1u);
  }
  for (const auto& [name, i] : all) {
    if (!i.info.eligible || name == "ami-fails" || name == "ami-never-ready") continue;
    ASSERT_TRUE(i.backup.has_value()) << name;
    EXPECT_EQ(i.backup->status, BackupStatus::kAvailable) << name;
    EXPECT_FALSE(i.backup->ami_id.empty()) << name;
  }
  EXPECT_EQ(backup_.succeeded, 14);
  EXPECT_EQ(backup_.failed, 2);
  // In EC2 the two are gone, snapshots included: one CreateImage per eligible instance, one
  // DeregisterImage and one DeleteSnapshot (one disk each) per failed backup.
  EXPECT_EQ(before_patch_["CreateImage"], 16);
  EXPECT_EQ(before_patch_["DeregisterImage"], 2);
  EXPECT_EQ(before_patch_["DeleteSnapshot"], 2);
  for (const char* name : {"ami-fails", "ami-never-ready"}) {
    EXPECT_EQ(Ec2Answer("DescribeImages", "ImageId.1", all[name].backup->ami_id), "InvalidAMIID.NotFound")
        << name;
    EXPECT_EQ(Ec2Answer("DescribeSnapshots", "SnapshotId.1", all[name].backup->snapshot_ids.at(0)),
              "InvalidSnapshot.NotFound")
        << name;
  }
  ASSERT_TRUE(all["patch-ok"].backup.has_value());
  EXPECT_EQ(Ec2Answer("DescribeImages", "ImageId.1", all["patch-ok"].backup->ami_id), "available");

  // --- precheck: ready, not ready with each failed threshold and its measured value, unreachable.
  const std::map<std::string, std::vector<std::string>> not_ready = {
      {"disk-full",
       {"disk_free_percent:/ is 2.5% (required >= 10.0%)",
        "disk_free_gib:/ is 0.2 GiB (required >= 1.0 GiB)"}},
      {"high-load", {"load_per_cpu is 4.50 (required <= 2.00)"}},
      {"sshd-stopped", {"service:sshd is inactive (required active)"}},
      {"low-memory",
       {"memory_free_percent is 2.5% (required >= 5.0%)", "memory_free_mib is 98 MiB (required >= 128 MiB)"}},
      {"package-manager-locked", {"package_manager_lock is held by another process (required free)"}},
  };
  for (const auto& [name, reasons] : not_ready) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(all[name].precheck.has_value());
    const PrecheckResult& p = *all[name].precheck;
    EXPECT_EQ(p.status, PrecheckStatus::kNotReady);
    EXPECT_EQ(p.reasons, reasons) << Reasons(p.reasons);
    EXPECT_FALSE(p.command_id.empty());
  }
  {
    ASSERT_TRUE(all["agent-lost-after-scan"].precheck.has_value());
    const PrecheckResult& p = *all["agent-lost-after-scan"].precheck;
    EXPECT_EQ(p.status, PrecheckStatus::kUnreachable);
    EXPECT_EQ(p.reasons,
              std::vector<std::string>{"SSM agent not reachable: PingStatus ConnectionLost after 300 s "
                                       "(workflow.timeouts.ssm_connection)"})
        << Reasons(p.reasons);
    EXPECT_TRUE(p.command_id.empty());  // never sent the script
  }
  {
    ASSERT_TRUE(all["agent-lost-before-delivery"].precheck.has_value());
    const PrecheckResult& p = *all["agent-lost-before-delivery"].precheck;
    EXPECT_EQ(PrecheckStatusName(p.status), std::string("unreachable")) << p.error.message;
    EXPECT_EQ(p.reasons,
              std::vector<std::string>{"SSM could not deliver the precheck command (DeliveryTimedOut)"})
        << Reasons(p.reasons);
    EXPECT_FALSE(p.command_id.empty());  // sent, never delivered
  }
  // Ready, with the risks the design asks for listed anyway.
  const std::map<std::string, std::vector<std::string>> ready_risks = {
      {"ami-fails", {"no backup: backup is failed"}},
      {"ami-never-ready", {"no backup: backup is timed_out"}},
      {"patch-fails", {}},
      {"patch-agent-lost", {}},
      {"patch-hangs", {}},
      {"patch-ok", {}},
      {"patch-ok-windows-asg",
       {"member of an Auto Scaling group: a failed health check during patching may replace it"}},
      {"patch-partial-still-missing", {"a reboot is already pending"}},
      {"patch-reboots-old-agent", {"old SSM agent 2.3.1319.0 (older than 3.0.0)"}},
  };
  for (const auto& [name, risks] : ready_risks) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(all[name].precheck.has_value());
    const PrecheckResult& p = *all[name].precheck;
    EXPECT_EQ(p.status, PrecheckStatus::kReady) << Reasons(p.reasons) << " " << p.error.message;
    EXPECT_TRUE(p.reasons.empty()) << Reasons(p.reasons);
    EXPECT_EQ(p.risks, risks) << Reasons(p.risks);
  }
  EXPECT_EQ(precheck_.succeeded, 9);
  EXPECT_EQ(precheck_.failed, 7);  // 5 not ready + 2 unreachable

  // --- patch: each verdict, verified against DescribeInstancePatchStates.
  auto expect_patch = [&](const std::string& name, PatchStatus status,
                          const std::string& reason) -> PatchResult {
    SCOPED_TRACE(name);
    EXPECT_TRUE(all[name].patch.has_value());
    if (!all[name].patch) return {};
    const PatchResult& p = *all[name].patch;
    EXPECT_EQ(PatchStatusName(p.status), std::string(PatchStatusName(status)));
    EXPECT_EQ(p.reason, reason);
    return p;
  };
  PatchResult p = expect_patch("patch-ok", PatchStatus::kSuccess, "");
  EXPECT_EQ(p.command_status, "Success");
  EXPECT_EQ(p.installed, 125);
  EXPECT_EQ(p.missing, 0);
  p = expect_patch("patch-ok-windows-asg", PatchStatus::kSuccess, "");
  EXPECT_EQ(p.installed, 303);
  p = expect_patch("patch-reboots-old-agent", PatchStatus::kSuccess, "");  // RebootIfNeeded rebooted it
  EXPECT_EQ(p.installed_pending_reboot, 0);
  p = expect_patch("patch-partial-still-missing", PatchStatus::kPartialSuccess, "2 patch(es) still missing");
  EXPECT_EQ(p.command_status, "Success");
  EXPECT_EQ(p.installed, 123);
  EXPECT_EQ(p.missing, 2);
  p = expect_patch("patch-fails", PatchStatus::kFailed, "patch command ended Failed");
  EXPECT_EQ(p.command_status, "Failed");
  p = expect_patch("patch-agent-lost", PatchStatus::kTimedOut,
                   "patch command TimedOut (DeliveryTimedOut: the SSM agent never received the command)");
  EXPECT_EQ(p.command_status, "TimedOut");
  p = expect_patch("patch-hangs", PatchStatus::kTimedOut,
                   "still InProgress after 3600 s (workflow.timeouts.patch_execution): command cancelled");
  EXPECT_EQ(p.command_status, "InProgress");
  // Skipped, each with its reason.
  expect_patch("ami-fails", PatchStatus::kSkipped,
               "required backup is failed: never patched without a backup");
  expect_patch("ami-never-ready", PatchStatus::kSkipped,
               "required backup is timed_out: never patched without a backup");
  for (const auto& [name, _] : not_ready) expect_patch(name, PatchStatus::kSkipped, "precheck not_ready");
  expect_patch("agent-lost-after-scan", PatchStatus::kSkipped, "precheck unreachable");
  expect_patch("agent-lost-before-delivery", PatchStatus::kSkipped, "precheck unreachable");
  EXPECT_EQ(patch->succeeded, 4);
  EXPECT_EQ(patch->failed, 3);
  EXPECT_EQ(patch->skipped, 9);
  EXPECT_FALSE(patch->budget_spent);

  // --- what the emulator saw: one patch command (7 targets fit one SendCommand), one CancelCommand
  // for the hung run, and every skipped instance never received the patch document.
  EXPECT_EQ(patch_counts.count("SendCommand") ? patch_counts.at("SendCommand") : 0, 1);
  EXPECT_EQ(patch_counts.count("CancelCommand") ? patch_counts.at("CancelCommand") : 0, 1);
  for (const char* name :
       {"patch-ok", "patch-ok-windows-asg", "patch-partial-still-missing", "patch-reboots-old-agent"}) {
    EXPECT_EQ(PatchInvocations(name), std::vector<std::string>{"Success/Success"}) << name;
  }
  EXPECT_EQ(PatchInvocations("patch-fails"), std::vector<std::string>{"Failed/Failed"});
  EXPECT_EQ(PatchInvocations("patch-agent-lost"), std::vector<std::string>{"TimedOut/DeliveryTimedOut"});
  EXPECT_EQ(PatchInvocations("patch-hangs"), std::vector<std::string>{"Cancelled/Cancelled"});
  for (const auto& [name, i] : all) {
    if (i.patch && i.patch->status == PatchStatus::kSkipped) {
      EXPECT_TRUE(PatchInvocations(name).empty()) << name;
    }
  }
}

TEST_F(WorkflowOutcomesTest, ErrorBudgetStopsTheRolloutAndLeavesTheRestUntouched) {
  options_.error_budget = {false, 1};  // one failure allowed: the second one spends it
  options_.canary_size = 0;
  options_.wave_size = 1;  // one instance per wave, failing ones first (instance id order)
  // Only the patch targets and one instance that fails its precheck are scanned: the slow backup and
  // reachability outcomes have nothing to add here.
  zones_.resize(1);
  zones_[0].tag_filters["Name"] = kPatchTargets;
  zones_[0].tag_filters["Name"].push_back("disk-full");
  auto connector = Connector();
  auto wf = Make(connector);
  const std::string run = RunUpToPrecheck(*wf);
  emu_->ClearRequestLog();
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  const auto counts = emu_->RequestCounts();
  auto all = ByName(run);

  EXPECT_TRUE(patch->budget_spent);
  EXPECT_EQ(patch->failed, 2);
  EXPECT_EQ(patch->succeeded, 0);
  ASSERT_TRUE(all["patch-fails"].patch.has_value());
  EXPECT_EQ(all["patch-fails"].patch->status, PatchStatus::kFailed);
  EXPECT_EQ(all["patch-fails"].patch->wave, 0);
  ASSERT_TRUE(all["patch-agent-lost"].patch.has_value());
  EXPECT_EQ(all["patch-agent-lost"].patch->status, PatchStatus::kTimedOut);
  EXPECT_EQ(all["patch-agent-lost"].patch->wave, 1);
  const std::string budget_reason = "error budget spent (2 failures, 1 allowed): rollout stopped";
  for (size_t k = 2; k < kPatchTargets.size(); ++k) {
    const std::string& name = kPatchTargets[k];
    SCOPED_TRACE(name);
    ASSERT_TRUE(all[name].patch.has_value());
    EXPECT_EQ(all[name].patch->status, PatchStatus::kSkipped);
    EXPECT_EQ(all[name].patch->reason, budget_reason);
    EXPECT_TRUE(all[name].patch->command_id.empty());
    EXPECT_TRUE(PatchInvocations(name).empty());
  }
  // Instances never targeted keep their own skip reasons, not the budget's.
  ASSERT_TRUE(all["disk-full"].patch.has_value());
  EXPECT_EQ(all["disk-full"].patch->reason, "precheck not_ready");
  EXPECT_EQ(patch->skipped, 1 + 5);

  // Two waves were sent (one SendCommand each), then nothing: no third command, nothing to cancel.
  EXPECT_EQ(counts.count("SendCommand") ? counts.at("SendCommand") : 0, 2);
  EXPECT_EQ(counts.count("CancelCommand"), 0u);
  EXPECT_EQ(PatchInvocations("patch-fails"), std::vector<std::string>{"Failed/Failed"});
  EXPECT_EQ(PatchInvocations("patch-agent-lost"), std::vector<std::string>{"TimedOut/DeliveryTimedOut"});
}

// NoReboot chosen on purpose: patches that need a reboot give installed_pending_reboot, an outcome
// of its own that is not a failure. Only two instances are scanned (a Name filter), so this run
// takes a fraction of the full one.
TEST_F(WorkflowOutcomesTest, InstallWithoutRebootIsInstalledPendingRebootNotAFailure) {
  options_.reboot_option = "NoReboot";
  zones_.resize(1);  // the outcomes zone only
  zones_[0].tag_filters["Name"] = {"patch-reboots-old-agent", "patch-ok"};
  auto connector = Connector();
  auto wf = Make(connector);
  const std::string run = RunUpToPrecheck(*wf);
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  auto all = ByName(run);
  ASSERT_EQ(all.size(), 2u);
  ASSERT_TRUE(all["patch-reboots-old-agent"].patch.has_value());
  const PatchResult& p = *all["patch-reboots-old-agent"].patch;
  EXPECT_EQ(p.status, PatchStatus::kInstalledPendingReboot);
  EXPECT_EQ(p.reason, "4 patch(es) installed, waiting for a reboot (RebootOption NoReboot)");
  EXPECT_EQ(p.installed_pending_reboot, 4);
  EXPECT_EQ(p.missing, 0);
  ASSERT_TRUE(all["patch-ok"].patch.has_value());
  EXPECT_EQ(all["patch-ok"].patch->status, PatchStatus::kSuccess);  // nothing of it needs a reboot
  EXPECT_EQ(patch->succeeded, 2);
}

// RebootIfNeeded through the emulator (issue 11): patch-reboots-old-agent reboots after its
// install (agent ConnectionLost, status checks initializing for a simulated while) and is a
// success only once it is back; DescribeInstanceStatus is what told.
TEST_F(WorkflowOutcomesTest, RebootIfNeededWaitsUntilTheRebootedInstanceIsBack) {
  zones_.resize(1);
  zones_[0].tag_filters["Name"] = {"patch-reboots-old-agent", "patch-ok"};
  auto connector = Connector();
  auto wf = Make(connector);
  const std::string run = RunUpToPrecheck(*wf);
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  auto all = ByName(run);
  ASSERT_TRUE(all["patch-reboots-old-agent"].patch.has_value());
  EXPECT_EQ(all["patch-reboots-old-agent"].patch->status, PatchStatus::kSuccess)
      << all["patch-reboots-old-agent"].patch->reason;
  EXPECT_EQ(all["patch-ok"].patch->status, PatchStatus::kSuccess);
  EXPECT_GE(emu_->RequestCounts()["DescribeInstanceStatus"], 1);
}

// The same instance whose status checks stay initializing long after its agent is back (and its
// command ended): failed after timeouts.reboot, naming what was missing. (One that never comes
// back at all never ends its command either: that is patch_execution's timed_out.)
TEST_F(WorkflowOutcomesTest, RebootIfNeededFailsAnInstanceNotBackWithinTheRebootTimeout) {
  auto fleet = emulator::LoadFleetFile(
      (std::filesystem::path(FP_SOURCE_DIR) / "tests/testdata/outcome_fleet.yml").string());
  ASSERT_TRUE(fleet.ok()) << fleet.error().ToString();
  for (auto& in : fleet->instances)
    if (in.name == "patch-reboots-old-agent") in.reboot.status_initializing_s = 5000;
  emulator::EmulatorOptions eo;
  eo.ssm_delivery_s = 60;
  StartEmulator(std::move(fleet).value(), eo);
  zones_.resize(1);
  zones_[0].tag_filters["Name"] = {"patch-reboots-old-agent"};
  options_.reboot_timeout = std::chrono::seconds(300);
  auto connector = Connector();
  auto wf = Make(connector);
  const std::string run = RunUpToPrecheck(*wf);
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  auto all = ByName(run);
  ASSERT_TRUE(all["patch-reboots-old-agent"].patch.has_value());
  const PatchResult& p = *all["patch-reboots-old-agent"].patch;
  EXPECT_EQ(p.status, PatchStatus::kFailed);
  EXPECT_NE(p.reason.find("not back from the patch reboot within timeouts.reboot (300 s): "),
            std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("status check initializing"), std::string::npos) << p.reason;
  EXPECT_EQ(patch->failed, 1);
}

// The safety loop's outcomes, one named instance each (Environment: safety): postcheck healthy,
// degraded (each regression named) and unreachable; rollback rolled_back (checked healthy again),
// rollback_unsupported (instance-store root), rollback_ineligible (its AMI is gone) and
// rollback_failed (EC2 refused the replacement).
TEST_F(WorkflowOutcomesTest, SafetyLoopOutcomes) {
  zones_.resize(1);
  zones_[0].tag_filters = {{"Environment", {"safety"}}};
  auto connector = Connector();
  auto wf = Make(connector);
  const std::string run = RunUpToPrecheck(*wf);
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  auto checked = wf->Postcheck(run, zones_);
  ASSERT_TRUE(checked.ok()) << checked.error().ToString();
  auto all = ByName(run);
  auto postcheck = [&](const std::string& name) {
    EXPECT_TRUE(all[name].postcheck.has_value()) << name;
    return all[name].postcheck.value_or(PostcheckResult{});
  };
  EXPECT_EQ(postcheck("safety-healthy").status, PostcheckStatus::kHealthy);
  EXPECT_EQ(postcheck("safety-rollback-fails").status, PostcheckStatus::kHealthy);
  for (const char* name : {"safety-service-fails", "safety-instance-store", "safety-ami-gone"}) {
    EXPECT_EQ(postcheck(name).status, PostcheckStatus::kDegraded) << name;
    EXPECT_EQ(postcheck(name).regressions, std::vector<std::string>{"service:sshd was active, now failed"})
        << name;
  }
  EXPECT_EQ(all["safety-never-returns"].patch->status, PatchStatus::kTimedOut);  // its command never ends
  EXPECT_EQ(postcheck("safety-never-returns").status, PostcheckStatus::kUnreachable);
  EXPECT_NE(postcheck("safety-never-returns").regressions.at(0).find("SSM agent not Online"),
            std::string::npos)
      << postcheck("safety-never-returns").regressions.at(0);

  // The AMI of safety-ami-gone is deregistered behind fleetpatch's back.
  emulator::SignedClient client = ZoneClient();
  EXPECT_EQ(
      client.Query("ec2", kRegion, "DeregisterImage", {{"ImageId", all["safety-ami-gone"].backup->ami_id}})
          .status,
      200);
  RollbackRequest automatic;
  automatic.automatic = true;
  ASSERT_TRUE(wf->Rollback(run, zones_, automatic).ok());
  emulator::FaultSpec fail;
  fail.error_5xx_rate = 1;
  emu_->SetFault("CreateReplaceRootVolumeTask", fail);
  RollbackRequest named;
  named.instance_ids = {instance_ids_.at("safety-rollback-fails")};
  ASSERT_TRUE(wf->Rollback(run, zones_, named).ok());
  emu_->ClearFaults();

  all = ByName(run);
  auto rollback = [&](const std::string& name) {
    EXPECT_TRUE(all[name].rollback.has_value()) << name;
    return all[name].rollback.value_or(RollbackResult{});
  };
  EXPECT_FALSE(all["safety-healthy"].rollback.has_value());
  for (const char* name : {"safety-service-fails", "safety-never-returns"}) {
    EXPECT_EQ(rollback(name).status, RollbackStatus::kRolledBack) << name << ": " << rollback(name).reason;
    EXPECT_EQ(rollback(name).postcheck, "healthy") << name << ": " << rollback(name).reason;
    EXPECT_EQ(rollback(name).ami_id, all[name].backup->ami_id);
    EXPECT_EQ(rollback(name).task_state, "succeeded");
  }
  EXPECT_EQ(rollback("safety-instance-store").status, RollbackStatus::kUnsupported);
  EXPECT_EQ(rollback("safety-ami-gone").status, RollbackStatus::kIneligible);
  EXPECT_NE(rollback("safety-ami-gone").reason.find("no longer exists"), std::string::npos)
      << rollback("safety-ami-gone").reason;
  EXPECT_EQ(rollback("safety-rollback-fails").status, RollbackStatus::kFailed);
  EXPECT_EQ(rollback("safety-rollback-fails").error.code, "InternalError");
  int replacements = 0;
  for (const auto& e : emu_->RequestLog())
    if (e.operation == "CreateReplaceRootVolumeTask" && e.error_code.empty()) ++replacements;
  EXPECT_EQ(replacements, 2) << "never for an unverified AMI or an instance-store root";
}

}  // namespace
}  // namespace fleetpatch::workflow
