#include "workflow/instance_state.h"

namespace fleetpatch::workflow {

const char* StageName(Stage s) {
  switch (s) {
    case Stage::kPreparing:
      return "preparing";
    case Stage::kQueued:
      return "queued";
    case Stage::kPatching:
      return "patching";
    case Stage::kPatched:
      return "patched";
    case Stage::kBlocked:
      return "blocked";
    case Stage::kStopped:
      return "stopped";
  }
  return "?";
}

const char* EventName(InstanceEvent e) {
  switch (e) {
    case InstanceEvent::kBackupAvailable:
      return "backup_available";
    case InstanceEvent::kBackupFailed:
      return "backup_failed";
    case InstanceEvent::kPrecheckReady:
      return "precheck_ready";
    case InstanceEvent::kPrecheckNotReady:
      return "precheck_not_ready";
    case InstanceEvent::kWaveStarted:
      return "wave_started";
    case InstanceEvent::kPatchEnded:
      return "patch_ended";
    case InstanceEvent::kRolloutStopped:
      return "rollout_stopped";
  }
  return "?";
}

Stage Settle(const InstanceState& s) {
  const bool backup_over = s.backup != PartState::kRunning;
  if (s.precheck == PartState::kRunning || !backup_over) return Stage::kPreparing;
  if (s.precheck == PartState::kFailed) return Stage::kBlocked;
  if (s.backup == PartState::kFailed && s.backup_required) return Stage::kBlocked;
  return Stage::kQueued;
}

namespace {

bool SetPart(InstanceState& s, PartState InstanceState::*part, PartState value) {
  if (s.stage != Stage::kPreparing || s.*part != PartState::kRunning) return false;
  s.*part = value;
  s.stage = Settle(s);
  return true;
}

bool Move(InstanceState& s, Stage from, Stage to) {
  if (s.stage != from) return false;
  s.stage = to;
  return true;
}

}  // namespace

bool Apply(InstanceState& s, InstanceEvent e) {
  switch (e) {
    case InstanceEvent::kBackupAvailable:
      return SetPart(s, &InstanceState::backup, PartState::kPassed);
    case InstanceEvent::kBackupFailed:
      return SetPart(s, &InstanceState::backup, PartState::kFailed);
    case InstanceEvent::kPrecheckReady:
      return SetPart(s, &InstanceState::precheck, PartState::kPassed);
    case InstanceEvent::kPrecheckNotReady:
      return SetPart(s, &InstanceState::precheck, PartState::kFailed);
    case InstanceEvent::kWaveStarted:
      return Move(s, Stage::kQueued, Stage::kPatching);
    case InstanceEvent::kPatchEnded:
      return Move(s, Stage::kPatching, Stage::kPatched);
    case InstanceEvent::kRolloutStopped:
      return Move(s, Stage::kQueued, Stage::kStopped);
  }
  return false;
}

InstanceState StateFromRecord(const InstanceRun& r, bool backup_enabled, bool backup_required, bool prepare) {
  InstanceState s;
  s.backup_required = backup_enabled && backup_required;
  const PartState missing = prepare ? PartState::kRunning : PartState::kFailed;
  if (!r.backup) {
    s.backup = backup_enabled ? missing : PartState::kNotNeeded;
  } else {
    switch (r.backup->status) {
      case BackupStatus::kAvailable:
        s.backup = PartState::kPassed;
        break;
      case BackupStatus::kDisabled:
        s.backup = PartState::kNotNeeded;
        break;
      case BackupStatus::kPending:
        s.backup = backup_enabled ? missing : PartState::kNotNeeded;
        break;
      default:
        s.backup = PartState::kFailed;
    }
  }
  if (!r.precheck) {
    s.precheck = missing;
  } else {
    s.precheck = r.precheck->status == PrecheckStatus::kReady ? PartState::kPassed : PartState::kFailed;
  }
  if (r.patch && r.patch->status == PatchStatus::kInProgress && !r.patch->command_id.empty()) {
    s.stage = Stage::kPatching;
  } else if (r.patch && r.patch->status != PatchStatus::kPending &&
             r.patch->status != PatchStatus::kInProgress && r.patch->status != PatchStatus::kSkipped) {
    s.stage = Stage::kPatched;
  } else {
    s.stage = Settle(s);
  }
  return s;
}

}  // namespace fleetpatch::workflow
