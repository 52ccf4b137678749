#include "workflow/asg_plan.h"

namespace fleetpatch::workflow {

AsgStep PlanBeforePatch(AutoScalingMode mode, const std::optional<GroupMembership>& membership) {
  if (!membership) return {};
  const GroupMembership& m = *membership;
  if (mode == AutoScalingMode::kSkip) {
    return {AsgAction::kIneligible, m.group,
            "member of Auto Scaling group " + m.group + " and patch.auto_scaling is skip"};
  }
  if (m.lifecycle_state == "Standby") {
    return {AsgAction::kNone, m.group,
            "already in Standby in " + m.group + " before this run: left as found"};
  }
  if (m.lifecycle_state != "InService") {
    return {
        AsgAction::kIneligible, m.group,
        "lifecycle state " + m.lifecycle_state + " in Auto Scaling group " + m.group + " (InService needed)"};
  }
  if (mode == AutoScalingMode::kSuspend) return {AsgAction::kSuspendGroup, m.group, ""};
  return {AsgAction::kEnterStandby, m.group, ""};
}

bool ShouldExitStandby(const std::string& patch, const std::string& postcheck, const std::string& rollback) {
  if (rollback == "rolled_back") return true;
  if (!rollback.empty()) return false;  // rollback failed or unsupported: the instance is not known good
  if (!postcheck.empty()) return postcheck == "healthy";
  return patch == "success" || patch == "installed_pending_reboot";
}

RestorePlan PlanRestore(const LeftBehind& left, const std::set<std::string>& groups_still_in_use) {
  RestorePlan plan;
  for (const auto& [group, instance] : left.standby) plan.exit_standby[group].push_back(instance);
  for (const std::string& g : left.suspended_groups) {
    if (groups_still_in_use.count(g) == 0) plan.resume_groups.push_back(g);
  }
  return plan;
}

}  // namespace fleetpatch::workflow
