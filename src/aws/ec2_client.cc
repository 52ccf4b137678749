#include "aws/ec2_client.h"

#include <fmt/format.h>

#include <algorithm>

#include "aws/output_fields.h"
#include "aws/paginate.h"
#include "common/chunks.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace)

constexpr size_t kInstanceStatusIdsPerCall = 100;
constexpr size_t kDescribeInstancesIdsPerCall = 1000;

json FilterList(const std::vector<Ec2Filter>& filters) {
  json out = json::array();
  for (const auto& f : filters) out.push_back({{"Name", f.name}, {"Values", f.values}});
  return out;
}

Status RequireId(const std::string& value, const char* what) {
  if (value.empty()) return Error::Validation(fmt::format("{} must not be empty", what));
  return OkStatus();
}

}  // namespace

Instance InstanceFromJson(const json& i, const json& reservation) {
  Instance out;
  out.instance_id = Str(i, "InstanceId");
  if (i.contains("State")) {
    out.state = Str(i["State"], "Name");
    out.state_code = static_cast<int>(Int(i["State"], "Code").value_or(-1));
  }
  out.instance_type = Str(i, "InstanceType");
  out.root_device_type = Str(i, "RootDeviceType");
  if (i.contains("Placement")) out.availability_zone = Str(i["Placement"], "AvailabilityZone");
  out.platform = Str(i, "Platform");
  out.platform_details = Str(i, "PlatformDetails");
  out.image_id = Str(i, "ImageId");
  out.private_ip_address = Str(i, "PrivateIpAddress");
  out.vpc_id = Str(i, "VpcId");
  out.subnet_id = Str(i, "SubnetId");
  out.key_name = Str(i, "KeyName");
  if (i.contains("IamInstanceProfile")) out.iam_instance_profile_arn = Str(i["IamInstanceProfile"], "Arn");
  out.reservation_id = Str(reservation, "ReservationId");
  out.owner_id = Str(reservation, "OwnerId");
  out.launch_time = Time(i, "LaunchTime");
  out.tags = Tags(i);
  return out;
}

ImageInfo ImageFromJson(const json& img) {
  ImageInfo out;
  out.image_id = Str(img, "ImageId");
  out.name = Str(img, "Name");
  out.description = Str(img, "Description");
  out.state = Str(img, "State");
  out.owner_id = Str(img, "OwnerId");
  out.source_instance_id = Str(img, "SourceInstanceId");
  out.platform = Str(img, "Platform");
  out.creation_date = Str(img, "CreationDate");
  if (img.contains("StateReason")) out.state_reason = Str(img["StateReason"], "Message");
  for (const auto& bdm : Array(img, "BlockDeviceMappings")) {
    if (bdm.contains("Ebs")) {
      std::string snap = Str(bdm["Ebs"], "SnapshotId");
      if (!snap.empty()) out.snapshot_ids.push_back(std::move(snap));
      out.ebs_size_gib += Int(bdm["Ebs"], "VolumeSize").value_or(0);
    }
  }
  out.tags = Tags(img);
  return out;
}

SnapshotInfo SnapshotFromJson(const json& s) {
  SnapshotInfo out;
  out.snapshot_id = Str(s, "SnapshotId");
  out.state = Str(s, "State");
  out.volume_id = Str(s, "VolumeId");
  out.description = Str(s, "Description");
  out.progress = Str(s, "Progress");
  out.volume_size_gib = static_cast<int>(Int(s, "VolumeSize").value_or(0));
  out.start_time = Time(s, "StartTime");
  out.tags = Tags(s);
  return out;
}

ReplaceRootVolumeTask ReplaceRootVolumeTaskFromJson(const json& t) {
  ReplaceRootVolumeTask out;
  out.task_id = Str(t, "ReplaceRootVolumeTaskId");
  out.instance_id = Str(t, "InstanceId");
  out.state = Str(t, "TaskState");
  out.image_id = Str(t, "ImageId");
  out.snapshot_id = Str(t, "SnapshotId");
  out.start_time = Str(t, "StartTime");
  out.complete_time = Str(t, "CompleteTime");
  out.delete_replaced_root_volume = Bool(t, "DeleteReplacedRootVolume").value_or(false);
  out.tags = Tags(t);
  return out;
}

Status Ec2Client::ForEachInstancePage(const DescribeInstancesRequest& request,
                                      const std::function<Status(std::vector<Instance>&& page)>& on_page) {
  auto walk = [&](json params) {
    return Paginate(caller_, "DescribeInstances", std::move(params), [&](const json& page) -> Status {
      std::vector<Instance> instances;
      for (const auto& r : Array(page, "Reservations")) {
        for (const auto& i : Array(r, "Instances")) instances.push_back(InstanceFromJson(i, r));
      }
      return on_page(std::move(instances));
    });
  };
  json base = json::object();
  if (!request.filters.empty()) base["Filters"] = FilterList(request.filters);
  if (request.instance_ids.empty()) {
    base["MaxResults"] = std::clamp(request.page_size, 5, 1000);
    return walk(std::move(base));
  }
  // Explicit ids cannot be combined with MaxResults; long id lists go in batches so no request
  // grows past what EC2 accepts.
  for (const auto& batch : Chunks(request.instance_ids, kDescribeInstancesIdsPerCall)) {
    json params = base;
    params["InstanceIds"] = batch;
    FP_RETURN_IF_ERROR(walk(std::move(params)));
  }
  return OkStatus();
}

Result<std::vector<Instance>> Ec2Client::DescribeInstances(const DescribeInstancesRequest& request) {
  std::vector<Instance> all;
  FP_RETURN_IF_ERROR(ForEachInstancePage(request, [&](std::vector<Instance>&& page) -> Status {
    all.insert(all.end(), std::make_move_iterator(page.begin()), std::make_move_iterator(page.end()));
    return OkStatus();
  }));
  return all;
}

Result<std::vector<InstanceStatusInfo>> Ec2Client::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  std::vector<InstanceStatusInfo> out;
  for (const auto& batch : Chunks(instance_ids, kInstanceStatusIdsPerCall)) {
    json params = {{"InstanceIds", batch}, {"IncludeAllInstances", true}};
    FP_RETURN_IF_ERROR(Paginate(caller_, "DescribeInstanceStatus", params, [&](const json& page) -> Status {
      for (const auto& s : Array(page, "InstanceStatuses")) {
        InstanceStatusInfo info;
        info.instance_id = Str(s, "InstanceId");
        if (s.contains("InstanceState")) info.state = Str(s["InstanceState"], "Name");
        info.availability_zone = Str(s, "AvailabilityZone");
        if (s.contains("SystemStatus")) info.system_status = Str(s["SystemStatus"], "Status");
        if (s.contains("InstanceStatus")) info.instance_status = Str(s["InstanceStatus"], "Status");
        out.push_back(std::move(info));
      }
      return OkStatus();
    }));
  }
  return out;
}

Result<std::string> Ec2Client::CreateImage(const CreateImageRequest& request) {
  FP_RETURN_IF_ERROR(RequireId(request.instance_id, "CreateImage instance id"));
  FP_RETURN_IF_ERROR(RequireId(request.name, "CreateImage image name"));
  json params = {
      {"InstanceId", request.instance_id}, {"Name", request.name}, {"NoReboot", request.no_reboot}};
  if (!request.description.empty()) params["Description"] = request.description;
  json specs = json::array();
  if (!request.image_tags.empty())
    specs.push_back({{"ResourceType", "image"}, {"Tags", TagList(request.image_tags)}});
  if (!request.snapshot_tags.empty()) {
    specs.push_back({{"ResourceType", "snapshot"}, {"Tags", TagList(request.snapshot_tags)}});
  }
  if (!specs.empty()) params["TagSpecifications"] = std::move(specs);
  FP_ASSIGN_OR_RETURN(json out, caller_.Call("CreateImage", params));
  std::string image_id = Str(out, "ImageId");
  if (image_id.empty()) {
    return Error{ErrorCategory::kAws,
                 fmt::format("CreateImage for {} returned no ImageId", request.instance_id)};
  }
  return image_id;
}

Result<std::vector<ImageInfo>> Ec2Client::DescribeImages(const DescribeImagesRequest& request) {
  json params = json::object();
  if (!request.image_ids.empty()) params["ImageIds"] = request.image_ids;
  if (!request.owners.empty()) params["Owners"] = request.owners;
  if (!request.filters.empty()) params["Filters"] = FilterList(request.filters);
  if (request.image_ids.empty()) params["MaxResults"] = std::clamp(request.page_size, 5, 1000);
  std::vector<ImageInfo> out;
  FP_RETURN_IF_ERROR(Paginate(caller_, "DescribeImages", params, [&](const json& page) -> Status {
    for (const auto& img : Array(page, "Images")) out.push_back(ImageFromJson(img));
    return OkStatus();
  }));
  return out;
}

Status Ec2Client::CreateTags(const std::vector<std::string>& resource_ids, const TagMap& tags) {
  if (resource_ids.empty() || tags.empty()) return OkStatus();
  FP_RETURN_IF_ERROR(caller_.Call("CreateTags", {{"Resources", resource_ids}, {"Tags", TagList(tags)}}));
  return OkStatus();
}

Status Ec2Client::DeregisterImage(const std::string& image_id) {
  FP_RETURN_IF_ERROR(RequireId(image_id, "DeregisterImage image id"));
  FP_RETURN_IF_ERROR(caller_.Call("DeregisterImage", {{"ImageId", image_id}}));
  return OkStatus();
}

Result<std::vector<SnapshotInfo>> Ec2Client::DescribeSnapshots(const DescribeSnapshotsRequest& request) {
  json params = json::object();
  if (!request.snapshot_ids.empty()) params["SnapshotIds"] = request.snapshot_ids;
  if (!request.owner_ids.empty()) params["OwnerIds"] = request.owner_ids;
  if (!request.filters.empty()) params["Filters"] = FilterList(request.filters);
  if (request.snapshot_ids.empty()) params["MaxResults"] = std::clamp(request.page_size, 5, 1000);
  std::vector<SnapshotInfo> out;
  FP_RETURN_IF_ERROR(Paginate(caller_, "DescribeSnapshots", params, [&](const json& page) -> Status {
    for (const auto& s : Array(page, "Snapshots")) out.push_back(SnapshotFromJson(s));
    return OkStatus();
  }));
  return out;
}

Status Ec2Client::DeleteSnapshot(const std::string& snapshot_id) {
  FP_RETURN_IF_ERROR(RequireId(snapshot_id, "DeleteSnapshot snapshot id"));
  FP_RETURN_IF_ERROR(caller_.Call("DeleteSnapshot", {{"SnapshotId", snapshot_id}}));
  return OkStatus();
}

Result<ReplaceRootVolumeTask> Ec2Client::CreateReplaceRootVolumeTask(
    const CreateReplaceRootVolumeTaskRequest& request) {
  FP_RETURN_IF_ERROR(RequireId(request.instance_id, "CreateReplaceRootVolumeTask instance id"));
  FP_RETURN_IF_ERROR(RequireId(request.image_id, "CreateReplaceRootVolumeTask image id"));
  json params = {{"InstanceId", request.instance_id},
                 {"ImageId", request.image_id},
                 {"DeleteReplacedRootVolume", request.delete_replaced_root_volume}};
  if (!request.client_token.empty()) params["ClientToken"] = request.client_token;
  if (!request.tags.empty()) {
    params["TagSpecifications"] =
        json::array({{{"ResourceType", "replace-root-volume-task"}, {"Tags", TagList(request.tags)}}});
  }
  FP_ASSIGN_OR_RETURN(json out, caller_.Call("CreateReplaceRootVolumeTask", params));
  ReplaceRootVolumeTask task =
      ReplaceRootVolumeTaskFromJson(out.value("ReplaceRootVolumeTask", json::object()));
  if (task.task_id.empty()) {
    return Error{ErrorCategory::kAws,
                 fmt::format("CreateReplaceRootVolumeTask for {} returned no task id", request.instance_id)};
  }
  return task;
}

Result<std::vector<ReplaceRootVolumeTask>> Ec2Client::DescribeReplaceRootVolumeTasks(
    const DescribeReplaceRootVolumeTasksRequest& request) {
  json params = json::object();
  if (!request.task_ids.empty()) params["ReplaceRootVolumeTaskIds"] = request.task_ids;
  if (!request.filters.empty()) params["Filters"] = FilterList(request.filters);
  if (request.task_ids.empty()) params["MaxResults"] = std::clamp(request.page_size, 1, 50);
  std::vector<ReplaceRootVolumeTask> out;
  FP_RETURN_IF_ERROR(
      Paginate(caller_, "DescribeReplaceRootVolumeTasks", params, [&](const json& page) -> Status {
        for (const auto& t : Array(page, "ReplaceRootVolumeTasks"))
          out.push_back(ReplaceRootVolumeTaskFromJson(t));
        return OkStatus();
      }));
  return out;
}

}  // namespace fleetpatch::aws
