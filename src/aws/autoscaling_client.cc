#include "aws/autoscaling_client.h"

#include <fmt/format.h>

#include "aws/output_fields.h"
#include "aws/paginate.h"
#include "common/chunks.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace)

Status RequireGroup(const std::string& group, const char* operation) {
  if (group.empty()) return Error::Validation(fmt::format("{} needs an Auto Scaling group name", operation));
  return OkStatus();
}

}  // namespace

AutoScalingInstance AutoScalingInstanceFromJson(const json& i) {
  AutoScalingInstance out;
  out.instance_id = Str(i, "InstanceId");
  out.group_name = Str(i, "AutoScalingGroupName");
  out.availability_zone = Str(i, "AvailabilityZone");
  out.lifecycle_state = Str(i, "LifecycleState");
  out.health_status = Str(i, "HealthStatus");
  out.protected_from_scale_in = Bool(i, "ProtectedFromScaleIn").value_or(false);
  return out;
}

ScalingActivity ScalingActivityFromJson(const json& a) {
  ScalingActivity out;
  out.activity_id = Str(a, "ActivityId");
  out.group_name = Str(a, "AutoScalingGroupName");
  out.description = Str(a, "Description");
  out.cause = Str(a, "Cause");
  out.status_code = Str(a, "StatusCode");
  out.progress = static_cast<int>(Int(a, "Progress").value_or(0));
  return out;
}

Result<std::vector<AutoScalingInstance>> AutoScalingClient::DescribeAutoScalingInstances(
    const std::vector<std::string>& instance_ids) {
  std::vector<AutoScalingInstance> out;
  for (const auto& batch : Chunks(instance_ids, kAsgDescribeIdsPerCall)) {
    json params = {{"InstanceIds", batch}, {"MaxRecords", static_cast<int>(kAsgDescribeIdsPerCall)}};
    FP_RETURN_IF_ERROR(
        Paginate(caller_, "DescribeAutoScalingInstances", params, [&](const json& page) -> Status {
          for (const auto& i : Array(page, "AutoScalingInstances"))
            out.push_back(AutoScalingInstanceFromJson(i));
          return OkStatus();
        }));
  }
  return out;
}

Result<std::vector<ScalingActivity>> AutoScalingClient::StandbyCall(
    const char* operation, const std::string& group, const std::vector<std::string>& instance_ids,
    const json& extra) {
  FP_RETURN_IF_ERROR(RequireGroup(group, operation));
  std::vector<ScalingActivity> out;
  for (const auto& batch : Chunks(instance_ids, kAsgStandbyIdsPerCall)) {
    json params = {{"InstanceIds", batch}, {"AutoScalingGroupName", group}};
    params.update(extra);
    FP_ASSIGN_OR_RETURN(json r, caller_.Call(operation, params));
    for (const auto& a : Array(r, "Activities")) out.push_back(ScalingActivityFromJson(a));
  }
  return out;
}

Result<std::vector<ScalingActivity>> AutoScalingClient::EnterStandby(
    const std::string& group, const std::vector<std::string>& instance_ids, bool decrement_desired) {
  return StandbyCall("EnterStandby", group, instance_ids,
                     {{"ShouldDecrementDesiredCapacity", decrement_desired}});
}

Result<std::vector<ScalingActivity>> AutoScalingClient::ExitStandby(
    const std::string& group, const std::vector<std::string>& instance_ids) {
  return StandbyCall("ExitStandby", group, instance_ids, json::object());
}

Status AutoScalingClient::ProcessesCall(const char* operation, const std::string& group,
                                        const std::vector<std::string>& processes) {
  FP_RETURN_IF_ERROR(RequireGroup(group, operation));
  json params = {{"AutoScalingGroupName", group}};
  if (!processes.empty()) params["ScalingProcesses"] = processes;
  FP_RETURN_IF_ERROR(caller_.Call(operation, params));
  return OkStatus();
}

Status AutoScalingClient::SuspendProcesses(const std::string& group,
                                           const std::vector<std::string>& processes) {
  return ProcessesCall("SuspendProcesses", group, processes);
}

Status AutoScalingClient::ResumeProcesses(const std::string& group,
                                          const std::vector<std::string>& processes) {
  return ProcessesCall("ResumeProcesses", group, processes);
}

}  // namespace fleetpatch::aws
