// ZoneApi: exactly what the workflow asks of AWS in one landing zone (one account and region, with
// that zone's assumed-role credentials). The seam between the phases and the AWS client layer:
// AwsZoneApi implements it with the typed EC2/SSM clients (rate-limited per account, region and
// API family); unit tests use a fake. Every method makes the fewest calls the API allows (full
// pages, batches of 50 where AWS caps them) and returns kThrottled/kConnectivity/kAuth/... errors
// from the client layer unchanged.
// Thread-safety: implementations must be safe to call from several threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"

namespace fleetpatch::workflow {

struct Ec2InstanceView {
  std::string instance_id;
  std::string state;     // running, stopped, ...
  std::string platform;  // EC2 Platform ("windows" or empty) or PlatformDetails
  std::string instance_type;
  std::string availability_zone;
  std::map<std::string, std::string> tags;
  std::string root_device_type;  // ebs | instance-store (a rollback needs an EBS root)
};

// EC2 DescribeInstanceStatus for one instance: its state and the two status checks.
struct InstanceStatusView {
  std::string instance_id;
  std::string state;            // running, stopped, ...
  std::string system_status;    // ok | impaired | initializing | insufficient-data | not-applicable
  std::string instance_status;  // same vocabulary
};

struct SsmInstanceView {
  std::string instance_id;
  std::string ping_status;    // Online | ConnectionLost | Inactive
  std::string platform_type;  // Linux | Windows | MacOS
  std::string platform_name;
  std::string agent_version;
};

struct ImageView {
  std::string image_id;
  std::string name;
  std::string state;  // pending | available | failed | invalid | deregistered | error ...
  std::string state_reason;
  std::string owner_id;            // the account that owns the AMI (EC2's OwnerId)
  std::string source_instance_id;  // the instance it was made from (EC2's SourceInstanceId); may be empty
  std::vector<std::string> snapshot_ids;  // from its block device mappings
  std::map<std::string, std::string> tags;
  std::string creation_date;  // ISO 8601, as EC2 returns it
  int64_t size_gib = 0;       // the EBS volumes' sizes, summed (what its snapshots hold at most)
};

struct InvocationView {
  std::string command_id;
  std::string instance_id;
  std::string status;  // Pending | InProgress | Delayed | Success | Cancelled | TimedOut | Failed |
                       // Cancelling | DeliveryTimedOut? ...
  std::string status_details;
  int response_code = -1;
  std::string output;  // the first plugin's output (stdout, as SSM truncates it)
};

struct PatchStateView {
  std::string instance_id;
  int64_t installed = 0;
  int64_t installed_other = 0;
  int64_t installed_pending_reboot = 0;
  int64_t installed_rejected = 0;
  int64_t missing = 0;
  int64_t failed = 0;
  std::string operation;                // Install | Scan
  double operation_end_time_s = 0;      // epoch seconds
  std::string patch_group;              // the instance's patch group, or empty
  double last_no_reboot_install_s = 0;  // epoch seconds of the last NoReboot Install; 0: none
};

// EC2 Auto Scaling's view of one group member (DescribeAutoScalingInstances).
struct AsgInstanceView {
  std::string instance_id;
  std::string group;            // AutoScalingGroupName
  std::string lifecycle_state;  // InService | Standby | Pending | EnteringStandby | Terminating ...
};

// An EC2 ReplaceRootVolumeTask (a rollback's root-volume replacement).
struct ReplaceTaskView {
  std::string task_id;
  std::string instance_id;
  std::string state;  // pending | in-progress | failing | succeeded | failed | failed-detached
};

using Tags = std::vector<std::pair<std::string, std::string>>;

// Snapshot ids per DescribeSnapshots filter: many failed AMIs' snapshots in one call, with a
// bounded request size (EC2 accepts up to 200 values in a filter).
inline constexpr size_t kSnapshotIdsPerCall = 200;

// What the client's rate budget lets one operation do at this moment (ZoneApi::RoomFor).
struct CallRoom {
  size_t now = std::numeric_limits<size_t>::max();  // calls that would go now without waiting
  std::chrono::nanoseconds next_in{0};              // when `now` is 0: the wait for the next one
};

class ZoneApi {
 public:
  virtual ~ZoneApi() = default;

  // The client's rate budget for `operation` of `service` ("ec2", "ssm") in this zone. A phase that
  // starts many calls (CreateImage, SendCommand) starts only what can go now, and comes back when
  // the next can, instead of waiting inside the call while its zone's checks and waves wait behind
  // it. Unlimited unless the implementation paces its calls.
  virtual CallRoom RoomFor(const std::string& service, const std::string& operation) {
    (void)service;
    (void)operation;
    return {};
  }

  // DescribeInstances with server-side filters (name -> values), a page (up to 1000) at a time.
  virtual Status ForEachInstancePage(const std::map<std::string, std::vector<std::string>>& filters,
                                     const std::function<void(std::vector<Ec2InstanceView>&&)>& on_page) = 0;
  // DescribeInstanceInformation for the whole zone (pages of 50).
  virtual Result<std::vector<SsmInstanceView>> DescribeInstanceInformation() = 0;
  // DescribeInstanceInformation of the given instances only: one call per 50 ids (an InstanceIds
  // filter), not a walk of the whole zone. Instances SSM does not know are absent from the answer.
  virtual Result<std::vector<SsmInstanceView>> DescribeInstanceInformation(
      const std::vector<std::string>& instance_ids) = 0;
  // DescribeInstanceStatus of the given instances, stopped ones included (100 ids a call).
  virtual Result<std::vector<InstanceStatusView>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids) = 0;

  // DescribeImages owned by this account: by ids (batched), or by one tag.
  virtual Result<std::vector<ImageView>> DescribeImagesById(const std::vector<std::string>& image_ids) = 0;
  virtual Result<std::vector<ImageView>> DescribeImagesByTag(const std::string& key,
                                                             const std::string& value) = 0;
  // CreateImage with the tags on the image and its snapshots; returns the new image id.
  virtual Result<std::string> CreateImage(const std::string& instance_id, const std::string& name,
                                          const std::string& description, bool no_reboot,
                                          const Tags& tags) = 0;
  virtual Status DeregisterImage(const std::string& image_id) = 0;
  // Which of `snapshot_ids` exist and are owned by this account: DescribeSnapshots with
  // OwnerIds=self and a snapshot-id filter (unknown ids are left out, not an error), one call per
  // 200 ids (kSnapshotIdsPerCall), all pages.
  virtual Result<std::set<std::string>> DescribeOwnedSnapshotIds(
      const std::vector<std::string>& snapshot_ids) = 0;
  virtual Status DeleteSnapshot(const std::string& snapshot_id) = 0;

  // SendCommand to at most 50 instances; returns the command id.
  virtual Result<std::string> SendCommand(const std::string& document,
                                          const std::vector<std::string>& instance_ids,
                                          const std::map<std::string, std::vector<std::string>>& parameters,
                                          int timeout_s, const std::string& comment) = 0;
  // ListCommandInvocations(CommandId, Details=true), all pages.
  virtual Result<std::vector<InvocationView>> ListInvocations(const std::string& command_id) = 0;
  // GetCommandInvocation's StandardOutputContent for one instance: up to 24,000 characters, where
  // ListCommandInvocations gives 2,500 (long_output.h). An error is the call's.
  virtual Result<std::string> GetInvocationOutput(const std::string& command_id,
                                                  const std::string& instance_id) = 0;
  virtual Status CancelCommand(const std::string& command_id,
                               const std::vector<std::string>& instance_ids) = 0;
  // DescribeInstancePatchStates, batched by 50.
  virtual Result<std::vector<PatchStateView>> DescribePatchStates(
      const std::vector<std::string>& instance_ids) = 0;

  // ---- EC2 Auto Scaling (auto_scaling.h) ----
  // Group membership of the given instances (50 ids a call); instances in no group are absent.
  virtual Result<std::vector<AsgInstanceView>> DescribeAutoScalingInstances(
      const std::vector<std::string>& instance_ids) = 0;
  // EnterStandby with ShouldDecrementDesiredCapacity=true (no replacement is launched), 20 ids a
  // call. An error (e.g. ValidationError: not InService) stops at the failing call.
  virtual Status EnterStandby(const std::string& group, const std::vector<std::string>& instance_ids) = 0;
  // ExitStandby: the instances go back to InService (20 ids a call); same error contract.
  virtual Status ExitStandby(const std::string& group, const std::vector<std::string>& instance_ids) = 0;
  // Suspends / resumes the group's HealthCheck, ReplaceUnhealthy and AZRebalance processes
  // (aws::kPatchSuspendedProcesses).
  virtual Status SuspendProcesses(const std::string& group) = 0;
  virtual Status ResumeProcesses(const std::string& group) = 0;
  // CreateReplaceRootVolumeTask from `image_id`, with `client_token` as the idempotency token (the
  // same token returns the first task instead of a second replacement); returns the task.
  virtual Result<ReplaceTaskView> CreateReplaceRootVolumeTask(const std::string& instance_id,
                                                              const std::string& image_id,
                                                              bool delete_replaced_root_volume,
                                                              const std::string& client_token) = 0;
  // DescribeReplaceRootVolumeTasks for the given task ids (unknown ids are an AWS error).
  virtual Result<std::vector<ReplaceTaskView>> DescribeReplaceRootVolumeTasks(
      const std::vector<std::string>& task_ids) = 0;
};

}  // namespace fleetpatch::workflow
