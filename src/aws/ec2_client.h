// Ec2Client: the EC2 operations fleetpatch uses, typed, with automatic pagination. Built on an
// ApiCaller (one per account/region), so it knows nothing of endpoints, signing or retries.
// Thread-safety: stateless apart from the ApiCaller reference; safe from many threads when the
// ApiCaller is (it must be).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/api_caller.h"
#include "common/error.h"

namespace fleetpatch::aws {

using TagMap = std::map<std::string, std::string>;

struct Ec2Filter {
  std::string name;  // e.g. "instance-state-name", "tag:PatchGroup"
  std::vector<std::string> values;
};

struct Instance {
  std::string instance_id;
  std::string state;  // pending | running | shutting-down | terminated | stopping | stopped
  int state_code = -1;
  std::string instance_type;
  std::string availability_zone;
  std::string platform;          // "windows" or empty (Linux/UNIX)
  std::string platform_details;  // e.g. "Linux/UNIX", "Windows", "Red Hat Enterprise Linux"
  std::string image_id;
  std::string private_ip_address;
  std::string vpc_id;
  std::string subnet_id;
  std::string key_name;
  std::string iam_instance_profile_arn;  // empty when no profile is attached
  std::string reservation_id;
  std::string root_device_type;  // ebs | instance-store
  std::string owner_id;          // the account that owns the reservation
  std::optional<std::chrono::system_clock::time_point> launch_time;
  TagMap tags;
};

struct DescribeInstancesRequest {
  std::vector<std::string> instance_ids;  // empty: all instances matching the filters; sent 1000 per call
  std::vector<Ec2Filter> filters;
  int page_size = 1000;  // MaxResults per call (5..1000); not sent with instance_ids (EC2 rejects both)
};

struct InstanceStatusInfo {
  std::string instance_id;
  std::string state;  // instance state name
  std::string availability_zone;
  std::string system_status;  // ok | impaired | insufficient-data | not-applicable | initializing
  std::string instance_status;
};

struct CreateImageRequest {
  std::string instance_id;
  std::string name;  // AMI name: unique per account and region
  std::string description;
  bool no_reboot = true;  // Default: true (fleetpatch never reboots for a backup)
  TagMap image_tags;      // TagSpecifications ResourceType=image
  TagMap snapshot_tags;   // TagSpecifications ResourceType=snapshot
};

struct ImageInfo {
  std::string image_id;
  std::string name;
  std::string description;
  std::string state;  // pending | available | invalid | deregistered | transient | failed | error
  std::string owner_id;
  std::string source_instance_id;  // the instance CreateImage was called for (EC2 fills it in)
  std::string platform;
  std::string creation_date;              // as EC2 returns it (ISO 8601 string)
  std::string state_reason;               // StateReason.Message, when EC2 explains a failure
  std::vector<std::string> snapshot_ids;  // from the EBS block device mappings
  int64_t ebs_size_gib = 0;               // the sum of those mappings' VolumeSize
  TagMap tags;
};

struct DescribeImagesRequest {
  std::vector<std::string> image_ids;
  std::vector<Ec2Filter> filters;
  std::vector<std::string> owners = {"self"};  // Default: images this account owns
  int page_size = 1000;                        // not sent with image_ids
};

struct SnapshotInfo {
  std::string snapshot_id;
  std::string state;  // pending | completed | error | recoverable | recovering
  std::string volume_id;
  std::string description;
  std::string progress;
  int volume_size_gib = 0;
  std::optional<std::chrono::system_clock::time_point> start_time;
  TagMap tags;
};

struct DescribeSnapshotsRequest {
  std::vector<std::string> snapshot_ids;
  std::vector<Ec2Filter> filters;
  std::vector<std::string> owner_ids = {"self"};  // Default: snapshots this account owns
  int page_size = 1000;                           // not sent with snapshot_ids
};

// A root-volume replacement (EC2 ReplaceRootVolumeTask): restores an instance's root volume from an
// AMI or snapshot and keeps the instance id, ENIs, private IPs and data volumes.
struct ReplaceRootVolumeTask {
  std::string task_id;
  std::string instance_id;
  std::string state;  // pending | in-progress | failing | succeeded | failed | failed-detached
  std::string image_id;
  std::string snapshot_id;
  std::string start_time;     // as EC2 returns it (ISO 8601 string)
  std::string complete_time;  // empty until the task ends
  bool delete_replaced_root_volume = false;
  TagMap tags;
};

struct CreateReplaceRootVolumeTaskRequest {
  std::string instance_id;
  std::string image_id;  // the AMI to restore from (fleetpatch's own pre-patch backup)
  // Default: false (the replaced volume stays, detached, so the patched state can be inspected).
  bool delete_replaced_root_volume = false;
  // Idempotency token (<= 64 ASCII chars): the same token after a crash returns the first task
  // instead of starting a second replacement. Empty: the engine makes a random one.
  std::string client_token;
  TagMap tags;  // TagSpecifications ResourceType=replace-root-volume-task
};

struct DescribeReplaceRootVolumeTasksRequest {
  std::vector<std::string> task_ids;
  std::vector<Ec2Filter> filters;  // e.g. {"instance-id", {"i-1"}}
  int page_size = 50;              // MaxResults (1..50); not sent with task_ids
};

class Ec2Client {
 public:
  explicit Ec2Client(ApiCaller& caller) : caller_(caller) {}

  // All pages, merged. For very large fleets prefer ForEachInstancePage.
  Result<std::vector<Instance>> DescribeInstances(const DescribeInstancesRequest& request);
  // Page at a time: `on_page` gets each page's instances (reservations flattened); returning an
  // error stops the scan and is returned. Memory stays at one page however large the fleet.
  Status ForEachInstancePage(const DescribeInstancesRequest& request,
                             const std::function<Status(std::vector<Instance>&& page)>& on_page);
  // Status of the given instances (batched 100 ids a call), including stopped ones.
  Result<std::vector<InstanceStatusInfo>> DescribeInstanceStatus(
      const std::vector<std::string>& instance_ids);
  // Starts an AMI; returns its image id.
  Result<std::string> CreateImage(const CreateImageRequest& request);
  Result<std::vector<ImageInfo>> DescribeImages(const DescribeImagesRequest& request);
  Status CreateTags(const std::vector<std::string>& resource_ids, const TagMap& tags);
  Status DeregisterImage(const std::string& image_id);
  Result<std::vector<SnapshotInfo>> DescribeSnapshots(const DescribeSnapshotsRequest& request);
  Status DeleteSnapshot(const std::string& snapshot_id);
  // Starts a root-volume replacement; returns the task as EC2 reports it (state pending usually).
  Result<ReplaceRootVolumeTask> CreateReplaceRootVolumeTask(
      const CreateReplaceRootVolumeTaskRequest& request);
  Result<std::vector<ReplaceRootVolumeTask>> DescribeReplaceRootVolumeTasks(
      const DescribeReplaceRootVolumeTasksRequest& request);

 private:
  ApiCaller& caller_;
};

// Parsers from operation output to structs (public for the emulator's and tests' use).
Instance InstanceFromJson(const nlohmann::json& instance, const nlohmann::json& reservation);
ImageInfo ImageFromJson(const nlohmann::json& image);
SnapshotInfo SnapshotFromJson(const nlohmann::json& snapshot);
ReplaceRootVolumeTask ReplaceRootVolumeTaskFromJson(const nlohmann::json& task);

}  // namespace fleetpatch::aws
