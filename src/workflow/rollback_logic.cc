#include "workflow/rollback_logic.h"

#include <fmt/format.h>

#include "common/crypto.h"

namespace fleetpatch::workflow {
namespace {

RollbackCheck No(std::string reason) { return {RollbackEligibility::kIneligible, std::move(reason)}; }

}  // namespace

RollbackCheck CheckRollbackEligibility(const RollbackSubject& s, const ImageView* image,
                                       const std::set<std::string>& owned_snapshots) {
  if (s.root_device_type == "instance-store") {
    return {RollbackEligibility::kUnsupported,
            "the root device is an instance store: it cannot be replaced from an AMI"};
  }
  if (s.backup == nullptr || s.backup->ami_id.empty())
    return No("no backup AMI of this instance in this run");
  const std::string& ami = s.backup->ami_id;
  if (s.backup->status != BackupStatus::kAvailable) {
    return No(fmt::format("the backup AMI {} is {}", ami, BackupStatusName(s.backup->status)));
  }
  if (image == nullptr || image->image_id != ami)
    return No(fmt::format("the backup AMI {} no longer exists", ami));
  if (image->state != "available") return No(fmt::format("AMI {} is {}, not available", ami, image->state));
  if (std::string why = WhyNotOurBackup(*image, s.identity); !why.empty()) {
    return No(
        fmt::format("AMI {} is not provably this run's backup of {}: {}", ami, s.identity.instance_id, why));
  }
  if (image->snapshot_ids.empty()) return No(fmt::format("AMI {} has no EBS snapshots", ami));
  for (const std::string& id : image->snapshot_ids) {
    if (owned_snapshots.count(id) == 0) {
      return No(fmt::format("snapshot {} of AMI {} is not one this account owns", id, ami));
    }
  }
  return {RollbackEligibility::kEligible, ""};
}

ReplaceTaskProgress ClassifyReplaceTask(const std::string& state) {
  if (state == "succeeded") return ReplaceTaskProgress::kSucceeded;
  if (state == "failed" || state == "failed-detached") return ReplaceTaskProgress::kFailed;
  return ReplaceTaskProgress::kRunning;
}

std::string RollbackNeed(const InstanceRun& r) {
  if (r.rollback && r.rollback->status == RollbackStatus::kRolledBack) return "";
  if (r.postcheck && (r.postcheck->status == PostcheckStatus::kDegraded ||
                      r.postcheck->status == PostcheckStatus::kUnreachable)) {
    std::string what;
    for (const auto& g : r.postcheck->regressions) what += (what.empty() ? "" : "; ") + g;
    return fmt::format("postcheck {}: {}", PostcheckStatusName(r.postcheck->status), what);
  }
  if (!r.patch) return "";
  switch (r.patch->status) {
    case PatchStatus::kFailed:
    case PatchStatus::kTimedOut:
    case PatchStatus::kPartialSuccess:
      return fmt::format("patch {}{}{}", PatchStatusName(r.patch->status),
                         r.patch->reason.empty() ? "" : ": ", r.patch->reason);
    default:
      return "";
  }
}

std::string ReplaceRootClientToken(const std::string& run_id, const std::string& instance_id) {
  // EC2 accepts up to 64 ASCII characters; a digest keeps any run id and instance id within that.
  return "fp-" + Sha256Hex(run_id + "/" + instance_id).substr(0, 48);
}

}  // namespace fleetpatch::workflow
