// Per-instance decisions the phases make, as pure functions so each rule is tested on its own:
// eligibility after scan, the AMI name of a backup, and the verdict of a patch.
// Thread-safe (pure functions).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/run_model.h"

namespace fleetpatch::workflow {

// The tag EC2 Auto Scaling puts on the instances of a group: its value is the group's name.
inline constexpr const char* kAutoScalingGroupTag = "aws:autoscaling:groupName";

struct EligibilityRules {
  // Instances carrying any of these tag values are skipped. Default: {"fleetpatch:skip": ["true"]}.
  std::map<std::string, std::vector<std::string>> exclude_tags = {{"fleetpatch:skip", {"true"}}};
  std::vector<std::string> platforms = {"linux", "windows"};  // Default: linux, windows
  // patch.auto_scaling: skip: members of Auto Scaling groups are ineligible. Default: false.
  bool skip_auto_scaling_members = false;
};

// Normalises EC2's Platform / SSM's PlatformType to "linux", "windows", "macos" or "".
std::string NormalisePlatform(const std::string& ec2_platform, const std::string& ssm_platform_type);

// Sets info.eligible and info.ineligible_reason (the first reason that applies, in the order:
// not running, excluded by tag, Auto Scaling member with patch.auto_scaling skip, unsupported
// platform, SSM agent not registered, SSM agent offline).
void DecideEligibility(InstanceInfo& info, const EligibilityRules& rules);

inline constexpr const char* kDefaultAmiNameTemplate = "fleetpatch-{instance_id}-{date}-{run_id}";

// Renders a backup AMI name from a template with {run_id}, {instance_id}, {zone} and {date} (the
// run's start date, YYYYMMDD, so the name is stable across a resumed run), then makes it a valid AMI
// name: characters outside [A-Za-z0-9 ()[]./'@_-] become '-', at most 128 characters. Names are
// unique per run and instance, so a resumed run finds the AMI it already started.
std::string RenderAmiName(const std::string& tmpl, const std::string& run_id, const InstanceInfo& info,
                          std::chrono::system_clock::time_point run_start);

// What DescribeInstancePatchStates said after the patch command (nullopt: nothing reported).
struct PatchCounts {
  int64_t installed = 0;
  int64_t missing = 0;
  int64_t failed = 0;
  int64_t installed_pending_reboot = 0;
  int64_t installed_rejected = 0;
  std::string operation;                // "Install" or "Scan"
  bool operation_after_command = true;  // the reported operation is this command's, not an older one
  // The command ran with RebootOption=NoReboot and a pending reboot is not to fail the instance
  // (patch.fail_on_pending_reboot false): patches waiting only for the reboot give
  // installed_pending_reboot, not partial_success.
  bool pending_reboot_expected = false;
};

// The verdict of one instance's patch: success only when the command succeeded and compliance shows
// nothing missing or failed and no reboot pending; installed_pending_reboot when only a reboot is
// pending and that was expected (NoReboot); never success when it cannot be verified.
// Fills status, command_status, counts and reason.
void ClassifyPatch(const std::string& command_status, const std::optional<PatchCounts>& counts,
                   PatchResult& result);

}  // namespace fleetpatch::workflow
