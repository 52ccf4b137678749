// ResultSink: the one way per-instance results leave the workflow. Each result is saved to the
// state store (in batches: every 50 results, and at Flush()), and a final one (not pending, not in
// progress) is counted once in its phase's summary and progress line; failures are journalled.
// The phases and the pipeline never write results to the store themselves.
// Thread-safe: zone threads call it concurrently (one mutex; the store serialises its writes).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/run_model.h"
#include "state/state_store.h"
#include "workflow/progress.h"
#include "workflow/workflow.h"

namespace fleetpatch::workflow {

class ResultSink {
 public:
  ResultSink(state::StateStore& store, std::string run_id, Clock& clock, Progress::Options progress);
  ~ResultSink();
  ResultSink(const ResultSink&) = delete;
  ResultSink& operator=(const ResultSink&) = delete;

  // Opens `phase`: an empty summary and a progress line over `total` instances.
  void Open(Phase phase, int64_t total);

  // Whether a result is counted: kCount for a result reached now, kUpdate when an already counted
  // (or intermediate) result is saved again with more detail.
  enum class Mode { kCount, kUpdate };
  // Buffers the result; an error is the store's, from a batch written now (the result is then not
  // saved: the caller stops the zone). A final result in kCount mode is counted.
  Status Backup(const std::string& zone, const std::string& instance_id, const BackupResult& r,
                Mode mode = Mode::kCount);
  Status Precheck(const std::string& zone, const std::string& instance_id, const PrecheckResult& r,
                  Mode mode = Mode::kCount);
  Status Patch(const std::string& zone, const std::string& instance_id, const PatchResult& r,
               Mode mode = Mode::kCount);
  // The Auto Scaling record of an instance, written at once (not buffered, not counted): it must be
  // on disk before the EnterStandby / SuspendProcesses call it announces. An error is the store's.
  Status Standby(const std::string& zone, const std::string& instance_id, const StandbyResult& r);
  // The safety loop's results (docs/safety.md), written at once, not buffered: a rollback's task id
  // must be on disk before its wait. Not counted in a phase summary (the postcheck and rollback
  // engines count their own); an error is the store's.
  Status Postcheck(const std::string& zone, const std::string& instance_id, const PostcheckResult& r);
  Status Rollback(const std::string& zone, const std::string& instance_id, const RollbackResult& r);
  // Writes everything buffered (one transaction per phase). Call before any AWS call whose intent
  // must be on disk first (CreateImage, SendCommand) and at a zone's end.
  Status Flush();

  // Instances counted as skipped without a saved result (a dry run's plan).
  void Skipped(Phase phase, int64_t n);
  // Moves the phase's progress line only (the scan counts zones there, instances in its summary).
  void Tick(Phase phase, Progress::Outcome outcome);
  // A zone-level failure of `phase` (already named with its zone).
  void ZoneError(Phase phase, const Error& e);

  // Appends to the run's journal; best effort (results are saved separately).
  void Journal(const std::string& level, const std::string& zone, const std::string& instance_id, Phase phase,
               const std::string& message);
  // A dry-run plan line ("backup: would create AMI ...").
  void Plan(std::string line);
  std::vector<std::string> PlanLines() const;

  // The phase's counts so far.
  PhaseSummary Summary(Phase phase) const;
  // Prints the phase's final progress line and returns its counts.
  PhaseSummary Close(Phase phase);

  const std::string& run_id() const { return run_id_; }
  Clock& clock() { return clock_; }

 private:
  enum class Kind { kOk, kFailed, kSkipped, kOpen };
  Status Saved(Phase phase, Kind kind, Mode mode, size_t buffered);
  Status FlushLocked();

  state::StateStore& store_;
  const std::string run_id_;
  Clock& clock_;
  const Progress::Options progress_options_;

  mutable std::mutex mu_;
  std::map<Phase, PhaseSummary> summaries_;
  std::map<Phase, std::unique_ptr<Progress>> progress_;
  std::vector<state::BackupUpdate> backups_;
  std::vector<state::PrecheckUpdate> prechecks_;
  std::vector<state::PatchUpdate> patches_;
  std::vector<std::string> plan_;
};

}  // namespace fleetpatch::workflow
