// RunSummary: the numbers and the error list every report shows, computed once per run in one pass
// over its instances (from a RunSource, so a run of any size is never held in memory at once).
//
// Each format (CSV, JSON, HTML, XML, JUnit) and the CLI's end-of-run summary read the same
// RunSummary, so they can never disagree about how many instances failed a phase or which errors
// happened. Every per-instance phase result is classified into one Outcome; the raw status strings
// (run_model.h) are kept as well so nothing is lost.
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"

namespace fleetpatch::report {

// How one phase went for one instance, as the summaries count it.
//   succeeded: scan found the instance eligible, AMI available, precheck ready, patch success.
//   failed:    needs a human: backup failed/timed out, precheck not ready/unreachable/failed,
//              patch failed/partial/timed out/cancelled.
//   skipped:   deliberately not done (ineligible, backup disabled, phase skipped with a reason).
//   pending:   started but not finished (pending / in progress), e.g. in an interrupted run.
//   not_run:   no result at all for this phase (the workflow did not reach or include it).
enum class Outcome { kSucceeded, kFailed, kSkipped, kPending, kNotRun };
inline constexpr std::array<Outcome, 5> kAllOutcomes{Outcome::kSucceeded, Outcome::kFailed, Outcome::kSkipped,
                                                     Outcome::kPending, Outcome::kNotRun};
const char* OutcomeName(Outcome o);  // "succeeded", "failed", "skipped", "pending", "not_run"

inline constexpr std::array<Phase, 4> kAllPhases{Phase::kScan, Phase::kBackup, Phase::kPrecheck,
                                                 Phase::kPatch};

// The outcome of `phase` for one instance. Scan: eligible -> succeeded, ineligible -> skipped.
Outcome PhaseOutcome(const InstanceRun& instance, Phase phase);
// The raw status string of `phase` ("available", "not_ready", ...); "" when the phase has no result.
// For scan: "eligible" or "ineligible".
std::string PhaseStatus(const InstanceRun& instance, Phase phase);

struct OutcomeCounts {
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
  int64_t pending = 0;
  int64_t not_run = 0;
  int64_t total() const { return succeeded + failed + skipped + pending + not_run; }
  int64_t Get(Outcome o) const;
  void Add(Outcome o);
};

// The instance's outcome over the whole run, looking at `phases` (RunSummary::phases_present):
// failed if any phase failed, else pending if any phase is pending, else skipped when scan found it
// ineligible, else the outcome of the last phase (succeeded, skipped or not_run).
Outcome InstanceOutcome(const InstanceRun& instance, const std::vector<Phase>& phases);
// The same from the instance's outcome of each phase (indexed like kAllPhases; scan succeeded means
// eligible), for when the instance itself is no longer at hand.
Outcome CombinedOutcome(const std::array<Outcome, 4>& phase_outcomes, const std::vector<Phase>& phases);

struct PhaseSummary {
  Phase phase = Phase::kScan;
  OutcomeCounts counts;
  std::map<std::string, int64_t> by_status;  // raw status -> count (phases without a result not counted)
};

struct ZoneSummary {
  std::string zone;
  std::string account_id;
  std::string region;
  std::string role_arn;
  ProblemInfo error;  // the zone-level failure, if any
  int64_t instances = 0;
  int64_t eligible = 0;
  std::array<PhaseSummary, 4> phases;  // indexed like kAllPhases
  OutcomeCounts overall;               // InstanceOutcome of each instance in the zone
  bool HasFailures() const;
};

// One entry of the error report: a zone-level failure (instance_id empty, phase "zone") or one
// instance's failure in one phase.
struct ErrorEntry {
  std::string zone;
  std::string account_id;
  std::string region;
  std::string instance_id;
  std::string instance_name;
  std::string phase;    // "zone", "backup", "precheck", "patch", "postcheck", "rollback"
  ProblemInfo problem;  // category, code, message (synthesised from the status when the phase set none)
};

// Patch counts summed over every instance with a patch result (the dashboard's "Updates installed").
struct PatchTotals {
  bool any = false;  // at least one instance has a patch result
  int64_t installed = 0;
  int64_t missing = 0;
  int64_t failed = 0;
  int64_t installed_pending_reboot = 0;
};

// An Auto Scaling change fleetpatch made and has not undone (docs/safety.md): an instance still in
// Standby (in_standby: interrupted, --resume restores it; left_in_standby: not known good after its
// patch, for a human) or one whose group is still suspended (group_suspended).
struct AutoScalingLeftover {
  std::string zone;
  std::string instance_id;
  std::string group;   // untrusted text
  std::string status;  // StandbyStatusName
};

struct RunSummary {
  std::string overall_status;  // RunStatusName(run.status)
  int64_t instances = 0;
  int64_t eligible = 0;
  int64_t zones_failed = 0;
  std::array<PhaseSummary, 4> phases;  // indexed like kAllPhases
  OutcomeCounts overall;               // InstanceOutcome of every instance
  std::vector<ZoneSummary> zones;      // in snapshot order, plus zones only seen on instances
  std::vector<ErrorEntry> errors;      // zone errors first, then instances in snapshot order
  // Phases that have at least one result (scan always, when there are instances or zones).
  std::vector<Phase> phases_present;
  PatchTotals patch_totals;
  int64_t events = 0;                                  // the run's journal entries
  std::vector<AutoScalingLeftover> auto_scaling_left;  // in snapshot order
  // The safety loop after the patch (docs/safety.md): status name -> instances. A degraded or
  // unreachable postcheck and a rollback that was needed and did not happen are in `errors` too
  // (phase "postcheck" / "rollback").
  std::map<std::string, int64_t> postcheck_by_status;
  std::map<std::string, int64_t> rollback_by_status;
  // The instances rolled back and those whose rollback was attempted and failed (the
  // rollback_done notification), in snapshot order.
  std::vector<std::string> rolled_back, rollback_failed;
  bool HasFailures() const { return !errors.empty(); }
};

// Whether fleetpatch left the instance's group changed: in Standby or the group suspended.
bool LeftInAutoScaling(const InstanceRun& instance);

class RunSource;  // run_source.h
// One pass over the source's instances and one over its events. Memory: the summary itself (its
// error list grows with the failures, not with the run).
Result<RunSummary> Summarize(const RunSource& source);
RunSummary Summarize(const RunSnapshot& snapshot);

// The problem of `phase` for one instance: its recorded error, or one synthesised from a failed
// status (e.g. precheck not_ready -> validation/PrecheckNotReady with the failed thresholds).
// Empty when the phase did not fail.
ProblemInfo PhaseProblem(const InstanceRun& instance, Phase phase);

// A plain-text summary for the terminal at the end of a run (no colours; a few short lines).
std::string FormatSummaryText(const RunInfo& run, const RunSummary& summary);

// An instance's timeline on one line, for the text-based formats (CSV, JUnit):
// "backup=available; precheck=ready; patch=installed_pending_reboot". Untrusted detail is left out.
std::string TimelineText(const InstanceRun& instance);
std::string FormatSummaryText(const RunSnapshot& snapshot, const RunSummary& summary);

}  // namespace fleetpatch::report
