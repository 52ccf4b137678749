#include "report/run_source.h"

namespace fleetpatch::report {

Status SnapshotSource::ForEachInstance(const std::string& zone, const InstanceFn& fn) const {
  for (const InstanceRun& inst : snap_.instances) {
    if (!zone.empty() && inst.info.zone != zone) continue;
    FP_RETURN_IF_ERROR(fn(inst));
  }
  return OkStatus();
}

Status SnapshotSource::ForEachEvent(const EventFn& fn) const {
  for (const Event& e : snap_.events) FP_RETURN_IF_ERROR(fn(e));
  return OkStatus();
}

Result<std::unique_ptr<StoreSource>> StoreSource::Open(state::StateStore& store, const std::string& run_id,
                                                       size_t batch_size) {
  if (batch_size == 0) return Error::Internal("StoreSource needs a batch size of at least 1");
  FP_ASSIGN_OR_RETURN(RunInfo run, store.GetRun(run_id));
  FP_ASSIGN_OR_RETURN(std::vector<LandingZoneInfo> zones, store.LoadZones(run_id));
  return std::unique_ptr<StoreSource>(new StoreSource(store, std::move(run), std::move(zones), batch_size));
}

Status StoreSource::ForEachInstance(const std::string& zone, const InstanceFn& fn) const {
  state::InstanceQuery query;
  query.zone = zone;
  return store_.ForEachInstance(run_.run_id, query, batch_size_,
                                [&](std::vector<InstanceRun>&& batch) -> Status {
                                  for (const InstanceRun& inst : batch) FP_RETURN_IF_ERROR(fn(inst));
                                  return OkStatus();
                                });
}

Status StoreSource::ForEachEvent(const EventFn& fn) const {
  return store_.ForEachEvent(run_.run_id, batch_size_, [&](std::vector<Event>&& batch) -> Status {
    for (const Event& e : batch) FP_RETURN_IF_ERROR(fn(e));
    return OkStatus();
  });
}

}  // namespace fleetpatch::report
