// The per-instance state machine of a pipelined run (docs/pipeline.md has it as a table). An
// instance's backup and precheck run at the same time; it joins the patch queue when its precheck
// is ready and its AMI is available (or backups are not required and the backup is over, or
// backups are off); the rollout then takes it into a wave, and its patch ends. An instance that
// cannot be patched is blocked (skipped with its reason); one left queued when the rollout stops
// is stopped (skipped, "rollout stopped").
// Pure functions and plain values: thread-safe.
#pragma once

#include <string>

#include "common/run_model.h"

namespace fleetpatch::workflow {

// Where one part (the backup or the precheck) of an instance's preparation stands.
enum class PartState { kRunning, kPassed, kFailed, kNotNeeded };

enum class Stage {
  kPreparing,  // backup and/or precheck still running
  kQueued,     // qualified: waits for a wave
  kPatching,   // in a wave: the patch command is in flight
  kPatched,    // the patch ended (success, partial_success, failed, timed_out, cancelled)
  kBlocked,    // never patched: the precheck or a required backup did not pass
  kStopped,    // never patched: the rollout stopped (failed canary, error budget spent)
};

enum class InstanceEvent {
  kBackupAvailable,   // DescribeImages: the AMI is available
  kBackupFailed,      // CreateImage failed, or DescribeImages: failed / past ami_creation
  kPrecheckReady,     // ListCommandInvocations: Success, and every threshold passed
  kPrecheckNotReady,  // any other precheck verdict (not_ready, unreachable, failed)
  kWaveStarted,       // the rollout put it in a wave (SendCommand follows)
  kPatchEnded,        // its patch got a verdict (ListCommandInvocations + DescribeInstancePatchStates)
  kRolloutStopped,    // the rollout stopped while it was queued
};

struct InstanceState {
  PartState backup = PartState::kRunning;
  PartState precheck = PartState::kRunning;
  Stage stage = Stage::kPreparing;
  bool backup_required = true;  // false: a failed backup does not block (backup.required: false)
};

const char* StageName(Stage s);  // "preparing", "queued", "patching", "patched", "blocked", "stopped"
const char* EventName(InstanceEvent e);

// Applies `e` to `s`. Returns false, leaving `s` unchanged, when `e` cannot happen in that state
// (e.g. a wave for an instance that is not queued, a second backup verdict).
bool Apply(InstanceState& s, InstanceEvent e);

// What backup and patch rules say of a preparation in `s` once both parts are over: kQueued,
// kBlocked, or kPreparing while a part that matters still runs.
Stage Settle(const InstanceState& s);

// The state of an instance as the store recorded it (a resumed run picks it up from there).
// `backup_enabled`: false makes a missing backup kNotNeeded. `prepare`: false (a patch-only run)
// makes a missing precheck or backup a failed part (it will not be run now).
InstanceState StateFromRecord(const InstanceRun& r, bool backup_enabled, bool backup_required, bool prepare);

}  // namespace fleetpatch::workflow
