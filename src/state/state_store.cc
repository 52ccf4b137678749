#include "state/state_store.h"

#include <algorithm>
#include <iterator>

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

namespace {

template <class T>
Status HandOver(std::vector<T> all, size_t batch_size, const std::function<Status(std::vector<T>&&)>& fn) {
  if (batch_size == 0) return Error::Internal("a batch size of at least 1 is needed");
  for (size_t start = 0; start < all.size(); start += batch_size) {
    const size_t end = std::min(all.size(), start + batch_size);
    std::vector<T> batch(std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(start)),
                         std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end)));
    FP_RETURN_IF_ERROR(fn(std::move(batch)));
  }
  return OkStatus();
}

}  // namespace

Status StateStore::ForEachInstance(const std::string& run_id, const InstanceQuery& query, size_t batch_size,
                                   const std::function<Status(std::vector<InstanceRun>&&)>& fn) {
  FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> all, QueryInstances(run_id, query));
  return HandOver(std::move(all), batch_size, fn);
}

Result<std::vector<InstanceRun>> StateStore::SelectInstances(
    const std::string& run_id, const InstanceQuery& query,
    const std::function<bool(const InstanceRun&)>& keep, size_t batch_size) {
  std::vector<InstanceRun> kept;
  FP_RETURN_IF_ERROR(ForEachInstance(run_id, query, batch_size, [&](std::vector<InstanceRun>&& batch) {
    for (auto& r : batch)
      if (keep(r)) kept.push_back(std::move(r));
    return OkStatus();
  }));
  return kept;
}

Status StateStore::ForEachEvent(const std::string& run_id, size_t batch_size,
                                const std::function<Status(std::vector<Event>&&)>& fn) {
  FP_ASSIGN_OR_RETURN(std::vector<Event> all, LoadEvents(run_id, 0));
  return HandOver(std::move(all), batch_size, fn);
}

}  // namespace fleetpatch::state
