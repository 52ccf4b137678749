#include "state/store_copy.h"

#include <algorithm>

namespace fleetpatch::state {
namespace {

template <class R>
std::vector<InstanceResult<R>> Results(const std::vector<InstanceRun>& batch,
                                       const std::optional<R> InstanceRun::*member) {
  std::vector<InstanceResult<R>> out;
  for (const auto& r : batch) {
    if (r.*member) out.push_back({r.info.zone, r.info.instance_id, *(r.*member)});
  }
  return out;
}

Status CopyInstances(StateStore& from, StateStore& to, const std::string& run_id, size_t batch_size,
                     CopyStats* stats) {
  return from.ForEachInstance(
      run_id, InstanceQuery{}, batch_size, [&](std::vector<InstanceRun>&& batch) -> Status {
        std::vector<InstanceInfo> infos;
        infos.reserve(batch.size());
        for (const auto& r : batch) infos.push_back(r.info);
        FP_RETURN_IF_ERROR(to.SaveInstances(run_id, infos));
        FP_RETURN_IF_ERROR(to.SaveBackups(run_id, Results(batch, &InstanceRun::backup)));
        FP_RETURN_IF_ERROR(to.SavePrechecks(run_id, Results(batch, &InstanceRun::precheck)));
        FP_RETURN_IF_ERROR(to.SavePatches(run_id, Results(batch, &InstanceRun::patch)));
        FP_RETURN_IF_ERROR(to.SaveStandbys(run_id, Results(batch, &InstanceRun::standby)));
        FP_RETURN_IF_ERROR(to.SavePostchecks(run_id, Results(batch, &InstanceRun::postcheck)));
        FP_RETURN_IF_ERROR(to.SaveRollbacks(run_id, Results(batch, &InstanceRun::rollback)));
        stats->instances += static_cast<int64_t>(batch.size());
        return OkStatus();
      });
}

// Appends the source's events after the ones the target already has (the journal is append-only,
// so a partial copy holds a prefix of them).
Status CopyEvents(StateStore& from, StateStore& to, const std::string& run_id, size_t batch_size,
                  CopyStats* stats) {
  FP_ASSIGN_OR_RETURN(std::vector<Event> have, to.LoadEvents(run_id, 0));
  size_t skip = have.size();
  return from.ForEachEvent(run_id, batch_size, [&](std::vector<Event>&& batch) -> Status {
    const size_t drop = std::min(skip, batch.size());
    skip -= drop;
    std::vector<Event> rest(batch.begin() + static_cast<std::ptrdiff_t>(drop), batch.end());
    if (rest.empty()) return OkStatus();
    FP_RETURN_IF_ERROR(to.AppendEvents(run_id, rest));
    stats->events += static_cast<int64_t>(rest.size());
    return OkStatus();
  });
}

Status Verify(StateStore& from, StateStore& to, const std::string& run_id) {
  for (Phase p : {Phase::kScan, Phase::kBackup, Phase::kPrecheck, Phase::kPatch}) {
    FP_ASSIGN_OR_RETURN(auto a, from.CountByStatus(run_id, p));
    FP_ASSIGN_OR_RETURN(auto b, to.CountByStatus(run_id, p));
    if (a != b) {
      return Error::Internal("run " + run_id + ": the copy's " + PhaseName(p) +
                             " results differ from the source's after copying");
    }
  }
  FP_ASSIGN_OR_RETURN(auto za, from.LoadZones(run_id));
  FP_ASSIGN_OR_RETURN(auto zb, to.LoadZones(run_id));
  FP_ASSIGN_OR_RETURN(auto ea, from.LoadEvents(run_id, 0));
  FP_ASSIGN_OR_RETURN(auto eb, to.LoadEvents(run_id, 0));
  if (za.size() != zb.size() || ea.size() != eb.size()) {
    return Error::Internal("run " + run_id + ": the copy's zones or journal differ from the source's");
  }
  return OkStatus();
}

Status CopyRun(StateStore& from, StateStore& to, const RunInfo& run, size_t batch_size, CopyStats* stats) {
  auto existing = to.GetRun(run.run_id);
  if (existing.ok()) {
    ++stats->runs_completed;
  } else if (existing.error().category == ErrorCategory::kNotFound) {
    FP_RETURN_IF_ERROR(to.CreateRun(run));
    ++stats->runs_copied;
  } else {
    return existing.error();
  }
  FP_ASSIGN_OR_RETURN(std::vector<LandingZoneInfo> zones, from.LoadZones(run.run_id));
  if (!zones.empty()) FP_RETURN_IF_ERROR(to.SaveZones(run.run_id, zones));
  FP_RETURN_IF_ERROR(CopyInstances(from, to, run.run_id, batch_size, stats));
  FP_RETURN_IF_ERROR(CopyEvents(from, to, run.run_id, batch_size, stats));
  for (const std::string& name : run.phases_completed) {
    Phase p;
    if (ParsePhase(name, &p)) FP_RETURN_IF_ERROR(to.MarkPhaseCompleted(run.run_id, p));
  }
  FP_RETURN_IF_ERROR(to.UpdateRunStatus(run.run_id, run.status));
  return Verify(from, to, run.run_id);
}

}  // namespace

Result<CopyStats> CopyRuns(StateStore& from, StateStore& to, size_t batch_size) {
  FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, from.ListRuns(0));
  std::reverse(runs.begin(), runs.end());  // oldest first
  CopyStats stats;
  for (const RunInfo& run : runs) FP_RETURN_IF_ERROR(CopyRun(from, to, run, batch_size, &stats));
  return stats;
}

}  // namespace fleetpatch::state
