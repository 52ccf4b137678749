// README promises that had no test, checked through the real client stack against the in-process
// emulator (demo fleet, fake clock): the tags on every AMI and snapshot fleetpatch creates,
// backup.keep_failed, and "patch state cannot be read, so not success".
#include <gtest/gtest.h>

#include <set>

#include "common/time_format.h"
#include "emulator/fleet.h"
#include "workflow/emulator_fixture_for_test.h"

namespace fleetpatch::workflow {
namespace {

class ReadmePromisesTest : public testing::EmulatorWorkflowTest {
 protected:
  void SetUp() override {
    StartEmulator(emulator::DemoFleet());
    AddZone("prod", "111111111111", "us-east-1", "fp-demo-prod", "prod");
    AddZone("staging", "222222222222", "eu-west-1", "fp-demo-staging", "staging");
    AddZone("dev", "333333333333", "us-west-2", "fp-demo-dev", "dev");
    options_.canary_size = 1;
  }

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
      // Each of the image's snapshots carries the same tags.
      ASSERT_FALSE(image.snapshot_ids.empty()) << image.image_id;
      for (const char* key :
           {"fleetpatch:run-id", "fleetpatch:instance-id", "fleetpatch:landing-zone",
            "fleetpatch:backup-name", "fleetpatch:created-by", "fleetpatch:delete-after", "team"}) {
        auto snaps = (*api)->DescribeSnapshotIdsByTag(key, {tag(key)});
        ASSERT_TRUE(snaps.ok()) << snaps.error().ToString();
        std::set<std::string> found((*snaps)[tag(key)].begin(), (*snaps)[tag(key)].end());
        for (const std::string& id : image.snapshot_ids)
          EXPECT_TRUE(found.count(id)) << id << " lacks " << key;
      }
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
    const int deregistered = counts["DeregisterImage"] - counts_before.at("DeregisterImage");
    if (keep) {
      EXPECT_EQ(deregistered, 0);
      EXPECT_EQ(counts["DeleteSnapshot"],
                counts_before.count("DeleteSnapshot") ? counts_before.at("DeleteSnapshot") : 0);
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
