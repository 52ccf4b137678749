#include "common/run_model.h"

#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

TEST(RunModelTest, StatusNamesRoundTrip) {
  for (auto s :
       {PatchStatus::kPending, PatchStatus::kInProgress, PatchStatus::kSuccess, PatchStatus::kPartialSuccess,
        PatchStatus::kFailed, PatchStatus::kTimedOut, PatchStatus::kSkipped, PatchStatus::kCancelled}) {
    PatchStatus back;
    ASSERT_TRUE(ParsePatchStatus(PatchStatusName(s), &back));
    EXPECT_EQ(back, s);
  }
  Phase p;
  EXPECT_FALSE(ParsePhase("deploy", &p));
}

TEST(RunModelTest, JsonRoundTripKeepsEveryField) {
  PatchResult r;
  r.status = PatchStatus::kPartialSuccess;
  r.wave = 2;
  r.command_id = "c-1";
  r.installed = 7;
  r.installed_pending_reboot = 1;
  r.error = {"timeout", "PatchTimedOut", "took too long"};
  nlohmann::json j = r;
  PatchResult back = j.get<PatchResult>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(j["status"], "partial_success");

  InstanceInfo i;
  i.instance_id = "i-1";
  i.tags["Name"] = "<b>";
  EXPECT_EQ(nlohmann::json(nlohmann::json(i).get<InstanceInfo>()), nlohmann::json(i));
}

TEST(RunModelTest, MissingFieldsKeepDefaults) {
  BackupResult b = nlohmann::json::parse(R"({"status":"available","ami_id":"ami-1"})").get<BackupResult>();
  EXPECT_EQ(b.status, BackupStatus::kAvailable);
  EXPECT_EQ(b.ami_id, "ami-1");
  EXPECT_TRUE(b.snapshot_ids.empty());
}

}  // namespace
}  // namespace fleetpatch
