#include "workflow/backup_trust.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

using ::testing::HasSubstr;

ImageView Ours() {
  ImageView img;
  img.image_id = "ami-1";
  img.name = "fleetpatch-run1-i-1";
  img.owner_id = "111111111111";
  img.source_instance_id = "i-1";
  img.snapshot_ids = {"snap-a", "snap-b"};
  img.tags = {{kRunTag, "run1"}, {kBackupNameTag, img.name}};
  return img;
}

const BackupIdentity kWant{"111111111111", "i-1", "run1", "fleetpatch-run1-i-1"};

TEST(BackupTrust, OnlyAnAmiWhoseOwnerSourceRunAndNameMatchIsOurs) {
  EXPECT_EQ(WhyNotOurBackup(Ours(), kWant), "");
  ImageView other_owner = Ours();
  other_owner.owner_id = "999999999999";
  EXPECT_THAT(WhyNotOurBackup(other_owner, kWant), HasSubstr("owner is 999999999999"));
  ImageView no_owner = Ours();
  no_owner.owner_id.clear();
  EXPECT_THAT(WhyNotOurBackup(no_owner, {"", "i-1", "run1", "fleetpatch-run1-i-1"}),
              HasSubstr("owner is (none)"));
  // Tags copied onto an AMI of another instance: the tags match, EC2's source instance does not.
  ImageView planted = Ours();
  planted.source_instance_id = "i-attacker";
  EXPECT_THAT(WhyNotOurBackup(planted, kWant), HasSubstr("source instance is i-attacker, not i-1"));
  ImageView unknown_source = Ours();
  unknown_source.source_instance_id.clear();
  EXPECT_THAT(WhyNotOurBackup(unknown_source, kWant), HasSubstr("(none)"));
  ImageView other_run = Ours();
  other_run.tags[kRunTag] = "run0";
  EXPECT_THAT(WhyNotOurBackup(other_run, kWant), HasSubstr("run-id tag is run0"));
  ImageView other_name = Ours();
  other_name.name = "x";
  EXPECT_THAT(WhyNotOurBackup(other_name, kWant), HasSubstr("name is x"));

  std::vector<ImageView> found = {planted, other_owner, Ours()};
  ASSERT_NE(FindOurBackup(found, kWant), nullptr);
  EXPECT_EQ(FindOurBackup(found, kWant), &found[2]);
  EXPECT_EQ(FindOurBackup({planted, other_run}, kWant), nullptr);
}

TEST(BackupTrust, OnlyTheFailedAmisOwnSnapshotsAreDeleted) {
  // snap-b is listed by the AMI but not the account's; snap-x is the account's but not the AMI's.
  EXPECT_EQ(SnapshotsToDelete(Ours(), {"snap-a", "snap-x"}), std::vector<std::string>{"snap-a"});
  EXPECT_TRUE(SnapshotsToDelete(Ours(), {}).empty());
}

}  // namespace
}  // namespace fleetpatch::workflow
