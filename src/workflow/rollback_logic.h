// Rollback's pure core: may this instance's root volume be replaced from its pre-patch AMI, and
// what does a replacement task's state mean? fleetpatch touches an instance only with an AMI it can
// prove it made in this run for this instance (backup_trust.h: EC2's owner and source-instance
// fields, the run tag and the name), that is available, and whose every snapshot DescribeSnapshots
// (OwnerIds=self) confirms this account owns. An instance-store root cannot be replaced
// (rollback_unsupported).
// Thread-safety: pure functions.
#pragma once

#include <set>
#include <string>

#include "common/run_model.h"
#include "workflow/backup_trust.h"

namespace fleetpatch::workflow {

struct RollbackSubject {
  BackupIdentity identity;       // the backup the AMI must be (zone account, instance, run, AMI name)
  std::string root_device_type;  // the instance's (DescribeInstances RootDeviceType): ebs | instance-store
  const BackupResult* backup = nullptr;  // this run's backup of the instance; null: none
};

enum class RollbackEligibility { kEligible, kUnsupported, kIneligible };

struct RollbackCheck {
  RollbackEligibility verdict = RollbackEligibility::kIneligible;
  std::string reason;  // empty only when eligible
};

// `image` is nullptr when DescribeImages did not return the backup's AMI; `owned_snapshots` is what
// DescribeOwnedSnapshotIds answered for the image's snapshot ids.
RollbackCheck CheckRollbackEligibility(const RollbackSubject& subject, const ImageView* image,
                                       const std::set<std::string>& owned_snapshots);

enum class ReplaceTaskProgress { kRunning, kSucceeded, kFailed };
// pending / in-progress / failing -> running (failing ends in failed); succeeded; failed and
// failed-detached -> failed. An unknown state counts as running until the caller's timeout.
ReplaceTaskProgress ClassifyReplaceTask(const std::string& task_state);

// Why patch.rollback: auto rolls `instance` back: its patch failed (failed, timed out, partial) or its
// postcheck is degraded or unreachable. "" when it does not need a rollback, or already has one
// that ended rolled_back.
std::string RollbackNeed(const InstanceRun& instance);

// The idempotency token of the one replacement fleetpatch starts per run and instance: a resumed
// run sends the same token, so EC2 returns the first task instead of replacing the root twice.
std::string ReplaceRootClientToken(const std::string& run_id, const std::string& instance_id);

}  // namespace fleetpatch::workflow
