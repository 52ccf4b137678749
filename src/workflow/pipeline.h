// ZonePipeline: one landing zone's part of a pipelined run, top-down: each instance's backup
// (ZoneBackup) and precheck (ZonePrecheck) run at the same time; when both are over the instance
// moves on by the state machine (instance_state.h): qualified instances go to the run-wide
// rollout (RolloutGate), which hands back this zone's share of each wave to patch (ZonePatch); blocked
// ones are skipped with their reason. The zone sleeps until the first moment one of its parts has
// something to do, or a wave starts. A patch-only run is the same loop with nothing to prepare.
//
// After its patch an instance is checked (and, with patch.rollback: auto, rolled back) by
// ZoneAfterPatch before it counts as ended for the rollout. When an instance's work in this run
// is over, OnInstancesFinished() hands it to the Auto Scaling handling (ExitStandby,
// ResumeProcesses: auto_scaling.h) and gives its disruption-budget places back.
// Not thread-safe: one zone thread runs it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "workflow/after_patch.h"
#include "workflow/auto_scaling.h"
#include "workflow/backup.h"
#include "workflow/instance_state.h"
#include "workflow/patch.h"
#include "workflow/precheck.h"
#include "workflow/scheduler.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

class ZonePipeline {
 public:
  // `instances`: the zone's eligible instances, `orders` their positions in the run's order (the
  // rollout takes queued instances in that order). `prepare`: run the missing backups and prechecks (false: a
  // patch-only run). `groups`: the run's suspended Auto Scaling groups, shared by its zones (nullptr: the
  // zone's own).
  ZonePipeline(const ZoneContext& ctx, RolloutGate& rollout, std::vector<InstanceRun> instances,
               const std::vector<size_t>& orders, bool prepare,
               std::shared_ptr<GroupSuspensions> groups = nullptr);

  // Runs the zone until every instance is patched, blocked or stopped (or the run is cancelled).
  // Errors of a part are recorded as that phase's zone error and the zone goes on where it can; the
  // error returned is one that stops the zone (the store failed).
  Status Run();

 private:
  struct Entry {
    InstanceRun run;
    InstanceState state;
    size_t order = 0;
    bool in_wave = true;  // false: a resumed patch outside the open wave
    int wave = 0;         // the wave it was taken into
  };
  Status Classify(std::vector<InstanceRun> instances, const std::vector<size_t>& orders,
                  std::shared_ptr<GroupSuspensions> groups);
  Status StepPreparation();
  Status HandOver();
  Status OnBackupEnded(const std::string& id, const BackupResult& b);
  Status OnPrecheckEnded(const std::string& id, const PrecheckResult& p);
  Status Settled(Entry& e);
  Status Skip(Entry& e, const std::string& reason);
  Status StepPatch();
  Status StartWave(std::vector<std::string> ids, int wave);
  // Members whose Standby Auto Scaling now shows: their patch is sent (with their wave).
  Status StepStandby();
  // Instances of a wave the Auto Scaling handling kept from their patch: skipped with the reason.
  Status NotPatched(const std::vector<AsgBlocked>& blocked);
  // The hook for every instance whose work in this run is over (patch ended; later phases: after
  // postcheck/rollback): Auto Scaling restore and disruption-budget release. Errors are the store's.
  Status InstancesEnded(const std::vector<AfterPatchEnd>& ended);
  Status OnInstancesFinished(const std::vector<std::string>& ids);
  Status SkipStopped();
  Status Stop(Entry& e, const std::string& why);
  bool Over() const;
  void Wait(uint64_t generation);

  const ZoneContext& ctx_;
  RolloutGate& rollout_;
  const bool prepare_;
  std::unordered_map<std::string, Entry> entries_;
  std::optional<ZoneBackup> backup_;
  std::optional<ZonePrecheck> precheck_;
  ZonePatch patch_;
  std::optional<ZoneAutoScaling> asg_;
  ZoneAfterPatch after_;  // a full run's postcheck and auto rollback before an instance counts as ended
  std::vector<std::pair<size_t, std::string>> qualified_;  // to hand to the rollout
  std::vector<InstanceRun> in_flight_;                     // a resumed run's patches in flight
  Status init_ = OkStatus();
  int64_t preparing_ = 0;
  int64_t open_ = 0;  // entries preparing, queued or patching
  bool stop_seen_ = false;
};

// A zone that could not be connected: its backups and prechecks still to run end failed with `e`
// (AMIs already started stay pending for --resume), and its instances are not patched (skipped
// with the reason; in a patch-only run, failed, as a patch that could not be sent).
Status RecordZoneDown(ResultSink& sink, RolloutGate& rollout, const WorkflowOptions& options,
                      std::vector<InstanceRun>& instances, const Error& e, bool prepare);

// Sleeps on the context's clock until `due`, in short slices so that cancellation (and `wake`,
// when given) are noticed within a fraction of a second.
void SleepUntil(const ZoneContext& ctx, SteadyTime due, const std::function<bool()>& wake = {});

// Steps `engine` (a ZoneBackup or ZonePrecheck on its own) until it is done, sleeping until it next
// has something to do. Errors are the engine's.
template <class Engine>
Status RunToEnd(Engine& engine, const ZoneContext& ctx) {
  while (!engine.Done()) {
    FP_RETURN_IF_ERROR(engine.Step());
    if (auto due = engine.NextCheck()) SleepUntil(ctx, *due);
  }
  return OkStatus();
}

}  // namespace fleetpatch::workflow
