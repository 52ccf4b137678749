// AutoScalingClient: the EC2 Auto Scaling operations fleetpatch uses to keep a group from replacing
// an instance while it is patched and rebooted (standby, suspended processes), typed, with the
// client-side batching limits the API imposes. AWS Query protocol; built on an ApiCaller.
// Thread-safety: stateless apart from the ApiCaller reference; safe from many threads when the
// ApiCaller is.
#pragma once

#include <string>
#include <vector>

#include "aws/api_caller.h"
#include "common/error.h"

namespace fleetpatch::aws {

// Instance ids per DescribeAutoScalingInstances call, and per EnterStandby / ExitStandby call.
inline constexpr size_t kAsgDescribeIdsPerCall = 50;
inline constexpr size_t kAsgStandbyIdsPerCall = 20;

// The processes fleetpatch suspends in `suspend` mode: the ones that would terminate or move an
// instance that fails its health check while it reboots.
inline const std::vector<std::string> kPatchSuspendedProcesses = {"HealthCheck", "ReplaceUnhealthy",
                                                                  "AZRebalance"};

struct AutoScalingInstance {
  std::string instance_id;
  std::string group_name;
  std::string availability_zone;
  // Pending | InService | Standby | EnteringStandby | Terminating | Terminated | Detaching | ...
  std::string lifecycle_state;
  std::string health_status;  // Healthy | Unhealthy
  bool protected_from_scale_in = false;
};

struct ScalingActivity {
  std::string activity_id;
  std::string group_name;
  std::string description;
  std::string cause;
  std::string status_code;  // Pending | InProgress | Successful | Failed | Cancelled | ...
  int progress = 0;
};

class AutoScalingClient {
 public:
  explicit AutoScalingClient(ApiCaller& caller) : caller_(caller) {}

  // Group membership of the given instances (50 ids a call, all pages). Instances in no group are
  // simply absent from the result.
  Result<std::vector<AutoScalingInstance>> DescribeAutoScalingInstances(
      const std::vector<std::string>& instance_ids);
  // Moves InService instances of `group` to Standby (20 ids a call). With decrement_desired, the
  // group does not launch replacements. Errors (e.g. ValidationError for an instance that is not
  // InService) stop at the failing batch; earlier batches stay in Standby.
  Result<std::vector<ScalingActivity>> EnterStandby(const std::string& group,
                                                    const std::vector<std::string>& instance_ids,
                                                    bool decrement_desired = true);
  // Moves Standby instances of `group` back to InService (20 ids a call); same error contract.
  Result<std::vector<ScalingActivity>> ExitStandby(const std::string& group,
                                                   const std::vector<std::string>& instance_ids);
  // Suspends / resumes the named processes of `group` (all of them when `processes` is empty).
  Status SuspendProcesses(const std::string& group, const std::vector<std::string>& processes);
  Status ResumeProcesses(const std::string& group, const std::vector<std::string>& processes);

 private:
  Result<std::vector<ScalingActivity>> StandbyCall(const char* operation, const std::string& group,
                                                   const std::vector<std::string>& instance_ids,
                                                   const nlohmann::json& extra);
  Status ProcessesCall(const char* operation, const std::string& group,
                       const std::vector<std::string>& processes);
  ApiCaller& caller_;
};

AutoScalingInstance AutoScalingInstanceFromJson(const nlohmann::json& instance);
ScalingActivity ScalingActivityFromJson(const nlohmann::json& activity);

}  // namespace fleetpatch::aws
