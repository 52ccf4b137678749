#include "state/state_store.h"

namespace fleetpatch::state {

Result<std::vector<InstanceRun>> StateStore::PendingBackups(const std::string& run_id) {
  InstanceQuery q;
  q.eligible = true;
  q.backup_status = {kNoResult, BackupStatusName(BackupStatus::kPending)};
  q.details = false;
  return QueryInstances(run_id, q);
}

Result<std::vector<InstanceRun>> StateStore::PendingPrechecks(const std::string& run_id) {
  InstanceQuery q;
  q.eligible = true;
  q.precheck_status = {kNoResult};
  q.details = false;
  return QueryInstances(run_id, q);
}

Result<std::vector<InstanceRun>> StateStore::UnfinishedPatches(const std::string& run_id) {
  InstanceQuery q;
  q.patch_status = {PatchStatusName(PatchStatus::kPending), PatchStatusName(PatchStatus::kInProgress)};
  q.details = false;
  return QueryInstances(run_id, q);
}

}  // namespace fleetpatch::state
