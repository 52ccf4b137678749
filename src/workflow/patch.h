// The patch of one landing zone's share of a wave: AWS-RunPatchBaseline (Operation, RebootOption,
// optional BaselineOverride) sent to at most 50 instances per command, each instance recorded
// in_progress with its command id before any wait, watched with ListCommandInvocations until it
// ends or `patch_timeout` passes (then CancelCommand: timed_out), and, once every command of the
// zone's wave ended, verified with DescribeInstancePatchStates (50 per call; a run that did not end
// Success needs no verification and gets its verdict as soon as it is seen): success only when
// nothing is missing or failed and no reboot is pending (ClassifyPatch). With RebootIfNeeded a
// verified Install then waits for the instance to come back (ZoneReboot) before its verdict counts.
//
// State transitions it makes (docs/pipeline.md): queued -> in_progress (SendCommand answered) ->
// success | partial_success | failed | timed_out. A resumed run watches the command in flight
// instead of sending a second one. Which instances may be patched at all, and in which wave, is
// decided elsewhere (PatchBlocker below; the RolloutScheduler).
//
// Driven by a zone loop: Step() whenever NextCheck() has come. Not thread-safe: one zone thread
// owns it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflow/decisions.h"
#include "workflow/reboot.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

// Why `r` may not be patched (the reason recorded with its skipped patch), or nullopt when its
// precheck is ready and its backup available (or not required). The safety rule "never patch
// without a required backup" is this function.
std::optional<std::string> PatchBlocker(const InstanceRun& r, const WorkflowOptions& options);
// Whether `r`'s patch already ended in an earlier attempt (never patch twice).
bool PatchOver(const InstanceRun& r);
// Whether `r` is in flight: recorded in_progress with the command that patches it.
bool PatchInFlight(const InstanceRun& r);
// A status that counts against the error budget (failed, timed_out, cancelled).
bool PatchFailed(PatchStatus s);

class ZonePatch {
 public:
  explicit ZonePatch(const ZoneContext& ctx);

  // Patches `batch` as wave `wave`. Instances in flight (PatchInFlight) are only watched. A
  // SendCommand failure ends its instances failed; an error is the store's.
  Status Start(std::vector<InstanceRun> batch, int wave);
  // Checks the commands in flight when due, cancels invocations past patch_timeout, and verifies
  // and records what ended once no command is in flight. Does nothing new once cancelled (in-flight
  // instances stay in_progress for --resume). An error is the store's.
  Status Step();
  std::optional<SteadyTime> NextCheck() const;
  bool Idle() const { return flights_.empty() && finished_.empty() && reboot_.Idle(); }
  // The instances whose patch ended since the last call (instance id, status).
  std::vector<std::pair<std::string, PatchStatus>> TakeEnded();

 private:
  struct Flight {
    std::string command_id;
    std::vector<InstanceRun> targets;
    std::chrono::system_clock::time_point started;
  };
  struct Finished {
    InstanceRun run;
    std::string status;
    std::chrono::system_clock::time_point started;
    std::string undelivered;  // DeliveryTimedOut / Undeliverable from StatusDetails, else empty
    SteadyTime seen_ended;    // the check that saw the run end
  };
  Status Send(std::vector<InstanceRun> chunk, int wave);
  std::optional<SteadyTime> TimeoutDue() const;  // nullopt: no command in flight
  Status Check();
  Status CheckFlight(Flight& f, std::vector<InstanceRun>& left);
  Status Verify(bool all);
  PatchCounts CountsOf(const PatchStateView& v, const Finished& f) const;
  Status Record(Finished& f, const std::optional<PatchCounts>& counts,
                const std::optional<Error>& verify_error);
  Status Ended(const InstanceRun& r, PatchResult p);

  const ZoneContext& ctx_;
  std::vector<Flight> flights_;
  std::vector<Finished> finished_;
  PollSchedule poll_;
  std::optional<SteadyTime> last_check_;  // of the commands in flight
  ZoneReboot reboot_;
  std::vector<std::pair<std::string, PatchStatus>> ended_;
};

}  // namespace fleetpatch::workflow
