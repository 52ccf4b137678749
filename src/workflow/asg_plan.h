// Auto Scaling planning, pure: what fleetpatch does to keep a group from replacing an instance
// while it is patched and rebooted, per the configured mode (patch.auto_scaling):
//  - standby: EnterStandby (ShouldDecrementDesiredCapacity=true) before the instance's patch,
//    ExitStandby after a healthy postcheck or a rollback; otherwise it stays in Standby and is
//    reported;
//  - suspend: SuspendProcesses HealthCheck, ReplaceUnhealthy, AZRebalance for the group while any
//    of its instances is being patched, ResumeProcesses after the last one;
//  - skip: group members are ineligible, with the reason.
// It also plans what `--resume` restores: anything this run left in Standby or suspended.
// Thread-safe (pure functions).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/safety_config.h"

namespace fleetpatch::workflow {

using config::AutoScalingMode;

struct GroupMembership {
  std::string group;            // Auto Scaling group name
  std::string lifecycle_state;  // InService | Standby | Pending | Terminating ...
};

enum class AsgAction { kNone, kEnterStandby, kSuspendGroup, kIneligible };

struct AsgStep {
  AsgAction action = AsgAction::kNone;
  std::string group;   // empty for kNone
  std::string reason;  // kIneligible: why; kNone for a member: why nothing is done
};

// What to do before patching an instance; `membership` is nullopt for an instance in no group.
// An instance already in Standby before the run is patched as is and never moved out of Standby
// by fleetpatch (it did not put it there); a member in any other state than InService or Standby
// (Pending, Terminating, Detaching ...) is ineligible.
AsgStep PlanBeforePatch(AutoScalingMode mode, const std::optional<GroupMembership>& membership);

// Whether to ExitStandby after the instance's phases: after a healthy postcheck, or after a
// rollback that succeeded (rolled_back). `postcheck` and `rollback` are run-model status names
// ("" when the phase did not run). With no postcheck configured, a successful patch counts.
bool ShouldExitStandby(const std::string& patch, const std::string& postcheck, const std::string& rollback);

// What this run left behind, as recorded in the state store (see run_model AutoScalingResult).
struct LeftBehind {
  std::vector<std::pair<std::string, std::string>> standby;  // (group, instance id) in Standby by fleetpatch
  std::set<std::string> suspended_groups;                    // groups fleetpatch suspended
};

struct RestorePlan {
  std::map<std::string, std::vector<std::string>> exit_standby;  // group -> instance ids
  std::vector<std::string> resume_groups;
};

// `--resume`: every instance fleetpatch put in Standby goes back to InService and every group it
// suspended is resumed, except groups that still have instances to patch in this run
// (`groups_still_in_use`), which stay suspended until their last instance is done.
RestorePlan PlanRestore(const LeftBehind& left, const std::set<std::string>& groups_still_in_use);

}  // namespace fleetpatch::workflow
