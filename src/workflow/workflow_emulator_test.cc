// The workflow through the real client stack (typed clients, protocol engine, SigV4, retries,
// role assumption) against the emulator's demo fleet, in process and on a fake clock shared by
// both sides, so AMIs that "take" ten minutes are ready at the next poll.
#include <gtest/gtest.h>

#include "emulator/fleet.h"
#include "workflow/emulator_fixture_for_test.h"

namespace fleetpatch::workflow {
namespace {

class WorkflowEmulatorTest : public testing::EmulatorWorkflowTest {
 protected:
  void SetUp() override {
    StartEmulator(emulator::DemoFleet());
    AddZone("prod", "111111111111", "us-east-1", "fp-demo-prod", "prod");
    AddZone("staging", "222222222222", "eu-west-1", "fp-demo-staging", "staging");
    AddZone("dev", "333333333333", "us-west-2", "fp-demo-dev", "dev");
    options_.canary_size = 1;
  }
};

TEST_F(WorkflowEmulatorTest, FullWorkflowOnTheDemoFleet) {
  auto connector = Connector();
  auto wf = Make(connector);
  std::string run = NewRun();
  auto scan = wf->Scan(run, zones_);
  ASSERT_TRUE(scan.ok()) << scan.error().ToString();
  EXPECT_TRUE(scan->zone_errors.empty());
  EXPECT_GT(scan->succeeded, 10);
  EXPECT_GT(scan->skipped, 0);
  auto backup = wf->Backup(run, zones_);
  ASSERT_TRUE(backup.ok()) << backup.error().ToString();
  EXPECT_GT(backup->succeeded, 0);
  EXPECT_GT(backup->failed, 0);  // the demo has AMIs that fail and that hang past the timeout
  auto pre = wf->Precheck(run, zones_);
  ASSERT_TRUE(pre.ok()) << pre.error().ToString();
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();

  auto snap = store_->LoadSnapshot(run);
  ASSERT_TRUE(snap.ok());
  std::map<std::string, int> backup_st, pre_st, patch_st, reasons;
  for (const auto& i : snap->instances) {
    if (!i.info.eligible) ++reasons[i.info.ineligible_reason.substr(0, 20)];
    if (i.backup) ++backup_st[BackupStatusName(i.backup->status)];
    if (i.precheck) ++pre_st[PrecheckStatusName(i.precheck->status)];
    if (i.patch) ++patch_st[PatchStatusName(i.patch->status)];
    // The safety rule, end to end: nothing without an available backup was patched.
    if (i.patch && i.patch->status != PatchStatus::kSkipped) {
      ASSERT_TRUE(i.backup.has_value()) << i.info.instance_id;
      EXPECT_EQ(i.backup->status, BackupStatus::kAvailable) << i.info.instance_id;
    }
  }
  auto dump = [](const std::map<std::string, int>& m) {
    std::string s;
    for (auto& [k, v] : m) s += k + "=" + std::to_string(v) + " ";
    return s;
  };
  std::cout << "backup: " << dump(backup_st) << "\nprecheck: " << dump(pre_st) << "\npatch: " << dump(patch_st)
            << "\nineligible: " << dump(reasons) << "\n";
  EXPECT_GT(backup_st["available"], 0);
  EXPECT_GT(pre_st["ready"], 0);
  EXPECT_GT(pre_st["not_ready"], 0);
  EXPECT_GT(patch_st["success"] + patch_st["partial_success"], 0);
  EXPECT_GT(patch_st["skipped"], 0);

  // Calls stay near the minimum the page sizes allow: one DescribeInstances page per zone.
  auto counts = emu_->RequestCounts();
  EXPECT_EQ(counts["DescribeInstances"], 3);
  // One AssumeRole per zone, plus refreshes as the simulated hours pass (credentials last 1 h).
  EXPECT_GE(counts["AssumeRole"], 3);
  EXPECT_LE(counts["AssumeRole"], 9);
}

TEST_F(WorkflowEmulatorTest, DryRunMakesNoMutatingCall) {
  options_.dry_run = true;
  auto connector = Connector();
  auto wf = Make(connector);
  std::string run = NewRun();
  // Every phase, so the patch phase (the one that matters most) is proven too.
  auto scan = wf->Scan(run, zones_);
  ASSERT_TRUE(scan.ok()) << scan.error().ToString();
  auto backup = wf->Backup(run, zones_);
  ASSERT_TRUE(backup.ok()) << backup.error().ToString();
  auto pre = wf->Precheck(run, zones_);
  ASSERT_TRUE(pre.ok()) << pre.error().ToString();
  auto patch = wf->Patch(run, zones_);
  ASSERT_TRUE(patch.ok()) << patch.error().ToString();
  EXPECT_EQ(emu_->CountMutatingRequests(), 0);
  auto counts = emu_->RequestCounts();
  EXPECT_EQ(counts["SendCommand"], 0);
  EXPECT_GT(counts["DescribeInstances"], 0) << "the scan is real";
  std::map<std::string, int> planned;  // phase -> lines
  for (const std::string& line : wf->Plan()) ++planned[line.substr(0, line.find(':'))];
  EXPECT_GT(planned["backup"], 0);
  EXPECT_GT(planned["precheck"], 0);
  EXPECT_GT(planned["patch"], 0);
}

TEST_F(WorkflowEmulatorTest, ZoneWithAWrongExternalIdFailsWithAuthWhileOthersGoOn) {
  access_["staging"].external_id = "wrong";
  auto connector = Connector();
  auto wf = Make(connector);
  std::string run = NewRun();
  auto scan = wf->Scan(run, zones_);
  ASSERT_TRUE(scan.ok());
  ASSERT_EQ(scan->zone_errors.size(), 1u);
  EXPECT_EQ(scan->zone_errors[0].category, ErrorCategory::kAuth);
  EXPECT_NE(scan->zone_errors[0].message.find("FleetPatchRole"), std::string::npos) << scan->zone_errors[0].message;
}

}  // namespace
}  // namespace fleetpatch::workflow
