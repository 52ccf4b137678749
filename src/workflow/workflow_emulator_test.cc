// The workflow through the real client stack (typed clients, protocol engine, SigV4, retries,
// role assumption) against the emulator's demo fleet, in process and on a fake clock shared by
// both sides, so AMIs that "take" ten minutes are ready at the next poll.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "common/time_format.h"
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
  std::cout << "backup: " << dump(backup_st) << "\nprecheck: " << dump(pre_st)
            << "\npatch: " << dump(patch_st) << "\nineligible: " << dump(reasons) << "\n";
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

// The postcheck and the reboot wait ask for the agents of the instances they wait for, not for the
// whole zone's: one filtered call per 50 ids, whatever the zone's size.
TEST_F(WorkflowEmulatorTest, AgentsOfGivenInstancesAreOneFilteredCallPer50Ids) {
  auto connector = Connector();
  auto api = connector.Connect(zones_[0]);
  ASSERT_TRUE(api.ok()) << api.error().ToString();
  auto zone = (*api)->DescribeInstanceInformation();
  ASSERT_TRUE(zone.ok()) << zone.error().ToString();
  ASSERT_GE(zone->size(), 3u);
  std::vector<std::string> ids = {(*zone)[0].instance_id, (*zone)[2].instance_id};
  for (int k = 0; k < 118; ++k) ids.push_back(fmt::format("i-0000000000bad{:04}", k));  // unknown to SSM
  const int before = emu_->RequestCounts()["DescribeInstanceInformation"];
  auto some = (*api)->DescribeInstanceInformation(ids);
  ASSERT_TRUE(some.ok()) << some.error().ToString();
  EXPECT_EQ(emu_->RequestCounts()["DescribeInstanceInformation"] - before, 3);  // 120 ids
  std::set<std::string> got;
  for (const auto& a : *some) got.insert(a.instance_id);
  EXPECT_EQ(got, (std::set<std::string>{ids[0], ids[1]}));
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
  EXPECT_NE(scan->zone_errors[0].message.find("FleetPatchRole"), std::string::npos)
      << scan->zone_errors[0].message;
}

// README promises that had no test: the tags on every AMI and snapshot fleetpatch creates,
// backup.keep_failed, and "patch state cannot be read, so not success".
class ReadmePromisesTest : public WorkflowEmulatorTest {
 protected:
  // Scans and backs up; returns the run id.
  std::string ScanAndBackUp(AwsZoneConnector& connector) {
    auto wf = Make(connector);
    std::string run = NewRun();
    auto scan = wf->Scan(run, zones_);
    EXPECT_TRUE(scan.ok()) << scan.error().ToString();
    auto backup = wf->Backup(run, zones_);
    EXPECT_TRUE(backup.ok()) << backup.error().ToString();
    return run;
  }

  int CountBackups(const std::string& run, BackupStatus status) {
    auto snap = store_->LoadSnapshot(run);
    EXPECT_TRUE(snap.ok());
    int n = 0;
    for (const auto& i : snap->instances) n += i.backup && i.backup->status == status;
    return n;
  }
};

// README: "fleetpatch puts these tags on every AMI and snapshot it creates: fleetpatch:run-id,
// fleetpatch:instance-id, fleetpatch:landing-zone, fleetpatch:backup-name,
// fleetpatch:created-by=fleetpatch, fleetpatch:delete-after, plus backup.tags."
TEST_F(ReadmePromisesTest, EveryAmiAndSnapshotCarriesTheDocumentedTags) {
  options_.extra_tags = {{"team", "ops"}};
  const TimePoint before = clock_.Now();
  auto connector = Connector();
  const std::string run = ScanAndBackUp(connector);
  const TimePoint after = clock_.Now();
  ASSERT_GT(CountBackups(run, BackupStatus::kAvailable), 0);

  int images_seen = 0;
  for (const ZoneSpec& zone : zones_) {
    auto api = connector.Connect(zone);
    ASSERT_TRUE(api.ok()) << api.error().ToString();
    auto images = (*api)->DescribeImagesByTag("fleetpatch:run-id", run);
    ASSERT_TRUE(images.ok()) << images.error().ToString();
    for (const ImageView& image : *images) {
      ++images_seen;
      auto tag = [&](const std::string& k) { return image.tags.count(k) ? image.tags.at(k) : "<missing>"; };
      EXPECT_EQ(tag("fleetpatch:created-by"), "fleetpatch") << image.image_id;
      EXPECT_EQ(tag("fleetpatch:landing-zone"), zone.info.name) << image.image_id;
      EXPECT_EQ(tag("fleetpatch:backup-name"), image.name) << image.image_id;
      EXPECT_EQ(tag("fleetpatch:instance-id").rfind("i-", 0), 0u) << image.image_id;
      EXPECT_EQ(tag("team"), "ops") << image.image_id;
      // delete-after: the day retention_days (30) after the backup.
      TimePoint delete_after;
      ASSERT_TRUE(ParseIso8601(tag("fleetpatch:delete-after") + "T00:00:00Z", &delete_after))
          << tag("fleetpatch:delete-after");
      EXPECT_GE(delete_after, before + std::chrono::hours(24 * 29));
      EXPECT_LE(delete_after, after + std::chrono::hours(24 * 31));
      // Each of the image's snapshots exists and is this account's (the tags on snapshots are no
      // longer readable through ZoneApi, which looks snapshots up by id only).
      ASSERT_FALSE(image.snapshot_ids.empty()) << image.image_id;
      auto owned = (*api)->DescribeOwnedSnapshotIds(image.snapshot_ids);
      ASSERT_TRUE(owned.ok()) << owned.error().ToString();
      for (const std::string& id : image.snapshot_ids) EXPECT_TRUE(owned->count(id)) << id;
    }
  }
  EXPECT_GT(images_seen, 0);
}

// README: a failed or timed-out AMI is deregistered and its snapshots deleted, "unless backup.keep_failed".
TEST_F(ReadmePromisesTest, FailedAmisAreCleanedUpUnlessKeepFailed) {
  for (bool keep : {false, true}) {
    SCOPED_TRACE(keep ? "keep_failed" : "default");
    emu_->ClearFaults();
    const auto counts_before = emu_->RequestCounts();
    options_.keep_failed_images = keep;
    auto connector = Connector();
    const std::string run = ScanAndBackUp(connector);
    ASSERT_GT(CountBackups(run, BackupStatus::kFailed) + CountBackups(run, BackupStatus::kTimedOut), 0)
        << "the demo fleet has AMIs that fail or hang";
    auto counts = emu_->RequestCounts();
    auto before = [&](const char* op) { return counts_before.count(op) ? counts_before.at(op) : 0; };
    const int deregistered = counts["DeregisterImage"] - before("DeregisterImage");
    if (keep) {
      EXPECT_EQ(deregistered, 0);
      EXPECT_EQ(counts["DeleteSnapshot"], before("DeleteSnapshot"));
    } else {
      EXPECT_GT(deregistered, 0);
    }
  }
}

// README: "If the command succeeded but the patch state cannot be read, the patch is *not* counted
// as success."
TEST_F(ReadmePromisesTest, APatchWhoseStateCannotBeReadIsNotASuccess) {
  emulator::FaultSpec unreadable;
  unreadable.error_5xx_rate = 1.0;
  emu_->SetFault("DescribeInstancePatchStates", unreadable);
  auto connector = Connector();
  auto wf = Make(connector);
  std::string run = NewRun();
  ASSERT_TRUE(wf->Scan(run, zones_).ok());
  ASSERT_TRUE(wf->Backup(run, zones_).ok());
  ASSERT_TRUE(wf->Precheck(run, zones_).ok());
  (void)wf->Patch(run, zones_);  // may end in an error: what matters is what it recorded

  EXPECT_GT(emu_->RequestCounts()["DescribeInstancePatchStates"], 0) << "the fault was met";
  auto snap = store_->LoadSnapshot(run);
  ASSERT_TRUE(snap.ok());
  int commanded = 0;
  for (const auto& i : snap->instances) {
    if (!i.patch || i.patch->command_id.empty()) continue;
    ++commanded;
    EXPECT_NE(i.patch->status, PatchStatus::kSuccess) << i.info.instance_id << ": " << i.patch->reason;
  }
  EXPECT_GT(commanded, 0) << "some patch commands ran";
}

}  // namespace
}  // namespace fleetpatch::workflow
