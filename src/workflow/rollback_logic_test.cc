#include "workflow/rollback_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

using ::testing::HasSubstr;

struct Fixture {
  BackupResult backup;
  RollbackSubject subject;
  ImageView image;
  std::set<std::string> owned = {"snap-1", "snap-2"};

  Fixture() {
    backup.status = BackupStatus::kAvailable;
    backup.ami_id = "ami-1";
    subject = {{"111122223333", "i-1", "run-1", "fleetpatch-i-1"}, "ebs", &backup};
    image.image_id = "ami-1";
    image.name = "fleetpatch-i-1";
    image.state = "available";
    image.owner_id = "111122223333";
    image.source_instance_id = "i-1";
    image.snapshot_ids = {"snap-1", "snap-2"};
    image.tags = {{kRunTag, "run-1"}};
  }
  RollbackCheck Check() const { return CheckRollbackEligibility(subject, &image, owned); }
};

TEST(RollbackEligibility, AVerifiedAmiOfThisRunIsEligible) {
  Fixture f;
  EXPECT_EQ(f.Check().verdict, RollbackEligibility::kEligible);
  EXPECT_TRUE(f.Check().reason.empty());
}

TEST(RollbackEligibility, InstanceStoreRootIsUnsupported) {
  Fixture f;
  f.subject.root_device_type = "instance-store";
  EXPECT_EQ(f.Check().verdict, RollbackEligibility::kUnsupported);
  f.subject.backup = nullptr;  // unsupported wins: no AMI would help
  EXPECT_EQ(f.Check().verdict, RollbackEligibility::kUnsupported);
}

TEST(RollbackEligibility, EveryMissingProofMakesItIneligibleWithTheReason) {
  struct Case {
    const char* what;
    void (*mutate)(Fixture&);
    const char* reason;
  };
  const Case cases[] = {
      {"no backup", [](Fixture& f) { f.subject.backup = nullptr; }, "no backup AMI"},
      {"backup failed", [](Fixture& f) { f.backup.status = BackupStatus::kFailed; }, "is failed"},
      {"image gone", [](Fixture& f) { f.image.image_id = "ami-other"; }, "no longer exists"},
      {"image pending", [](Fixture& f) { f.image.state = "pending"; }, "not available"},
      {"foreign owner", [](Fixture& f) { f.image.owner_id = "999999999999"; }, "owner is 999999999999"},
      {"other source", [](Fixture& f) { f.image.source_instance_id = "i-2"; }, "source instance is i-2"},
      {"other run", [](Fixture& f) { f.image.tags[kRunTag] = "run-0"; }, "tag is run-0, not run-1"},
      {"other name", [](Fixture& f) { f.image.name = "x"; }, "its name is x"},
      {"no snapshots", [](Fixture& f) { f.image.snapshot_ids.clear(); }, "no EBS snapshots"},
      {"snapshot not owned", [](Fixture& f) { f.owned.erase("snap-2"); },
       "snap-2 of AMI ami-1 is not one this account owns"},
  };
  for (const Case& c : cases) {
    Fixture f;
    c.mutate(f);
    RollbackCheck r = f.Check();
    EXPECT_EQ(r.verdict, RollbackEligibility::kIneligible) << c.what;
    EXPECT_THAT(r.reason, HasSubstr(c.reason)) << c.what;
  }
  Fixture f;
  EXPECT_EQ(CheckRollbackEligibility(f.subject, nullptr, f.owned).verdict, RollbackEligibility::kIneligible);
}

TEST(RollbackEligibility, ReplaceTaskStates) {
  EXPECT_EQ(ClassifyReplaceTask("pending"), ReplaceTaskProgress::kRunning);
  EXPECT_EQ(ClassifyReplaceTask("in-progress"), ReplaceTaskProgress::kRunning);
  EXPECT_EQ(ClassifyReplaceTask("failing"), ReplaceTaskProgress::kRunning);
  EXPECT_EQ(ClassifyReplaceTask("succeeded"), ReplaceTaskProgress::kSucceeded);
  EXPECT_EQ(ClassifyReplaceTask("failed"), ReplaceTaskProgress::kFailed);
  EXPECT_EQ(ClassifyReplaceTask("failed-detached"), ReplaceTaskProgress::kFailed);
}

TEST(RollbackEligibility, ClientTokenIsStablePerRunAndInstanceAndFitsEc2) {
  std::string a = ReplaceRootClientToken("20261204-130000-abcdef", "i-0123456789abcdef0");
  EXPECT_EQ(a, ReplaceRootClientToken("20261204-130000-abcdef", "i-0123456789abcdef0"));
  EXPECT_NE(a, ReplaceRootClientToken("20261204-130000-abcdef", "i-0123456789abcdef1"));
  EXPECT_NE(a, ReplaceRootClientToken("20261204-130001-abcdef", "i-0123456789abcdef0"));
  EXPECT_LE(a.size(), 64u);
}

}  // namespace
}  // namespace fleetpatch::workflow
