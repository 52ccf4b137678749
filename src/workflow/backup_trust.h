// What the backup phase may reuse or delete: only what it can prove this run made. Tags are not
// proof (anyone with ec2:CreateTags in a landing zone can set them, and AMI names are predictable
// from the run id), so an AMI is trusted only when EC2's own fields match (owner account, source
// instance) as well as the run tag and name, and a failed AMI's cleanup deletes only the snapshots
// listed in that AMI's block device mappings that DescribeSnapshots(OwnerIds=self) confirms.
// Thread-safety: pure functions.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

inline constexpr const char* kRunTag = "fleetpatch:run-id";
inline constexpr const char* kBackupNameTag = "fleetpatch:backup-name";

// The backup an AMI must be: made in `account_id` from `instance_id` for `run_id`, named `ami_name`.
struct BackupIdentity {
  std::string account_id;  // the landing zone's account; empty only when unknown (then any owner
                           // but an empty one is accepted: DescribeImages already asks for Owners=self)
  std::string instance_id;
  std::string run_id;
  std::string ami_name;
};

// "" when `image` is that backup, else why not (for the journal and the error), e.g.
// "its source instance is i-other, not i-1".
std::string WhyNotOurBackup(const ImageView& image, const BackupIdentity& want);

// The first of `images` that is the backup `want` describes, or nullptr.
const ImageView* FindOurBackup(const std::vector<ImageView>& images, const BackupIdentity& want);

// The snapshots to delete with a failed AMI: those in its block device mappings that are in
// `owned` (the account's own snapshots among them, as DescribeOwnedSnapshotIds answered).
std::vector<std::string> SnapshotsToDelete(const ImageView& failed_image, const std::set<std::string>& owned);

// CreateImage answered InvalidAMIName.Duplicate: an earlier attempt whose answer was lost may have
// made the AMI. Its id when the AMI found by the backup-name tag is provably `want`; else
// `duplicate`, its message saying why no AMI was reused. Lookup errors are returned as they are.
Result<std::string> AdoptDuplicate(ZoneApi& api, const BackupIdentity& want, const Error& duplicate);

struct FailedImage {
  BackupIdentity identity;
  std::string image_id;
};
struct CleanupOutcome {
  std::vector<std::string> deleted_snapshots;
  std::string problem;  // "" when the AMI was deregistered and all its snapshots deleted
};

// Deregisters failed AMIs that are provably this run's and deletes the snapshots of their block
// device mappings that this account owns. One DescribeImages before deregistering (per 200 AMIs),
// one DescribeSnapshots(OwnerIds=self) per 200 snapshot ids. An AMI that cannot be found or proven
// ours is left alone; its outcome says why. Returns one outcome per image, in order.
std::vector<CleanupOutcome> CleanUpFailedImages(ZoneApi& api, const std::vector<FailedImage>& images);

}  // namespace fleetpatch::workflow
