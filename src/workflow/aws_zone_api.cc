#include "workflow/aws_zone_api.h"

#include <algorithm>

#include "aws/credentials_sts.h"

namespace fleetpatch::workflow {
namespace {

std::vector<aws::Ec2Filter> Filters(const std::map<std::string, std::vector<std::string>>& m) {
  std::vector<aws::Ec2Filter> out;
  for (const auto& [name, values] : m) out.push_back({name, values});
  return out;
}

ImageView ToView(aws::ImageInfo&& i) {
  ImageView v;
  v.image_id = std::move(i.image_id);
  v.name = std::move(i.name);
  v.state = std::move(i.state);
  v.state_reason = std::move(i.state_reason);
  v.owner_id = std::move(i.owner_id);
  v.source_instance_id = std::move(i.source_instance_id);
  v.snapshot_ids = std::move(i.snapshot_ids);
  v.tags = std::move(i.tags);
  v.creation_date = std::move(i.creation_date);
  v.size_gib = i.ebs_size_gib;
  return v;
}

}  // namespace

AwsZoneApi::AwsZoneApi(std::unique_ptr<aws::ApiCaller> ec2, std::unique_ptr<aws::ApiCaller> ssm,
                       std::unique_ptr<aws::ApiCaller> autoscaling, ZonePacing pacing)
    : ec2_caller_(std::move(ec2)),
      ssm_caller_(std::move(ssm)),
      asg_caller_(std::move(autoscaling)),
      ec2_(*ec2_caller_),
      ssm_(*ssm_caller_),
      asg_(*asg_caller_),
      pacing_(std::move(pacing)) {}

CallRoom AwsZoneApi::RoomFor(const std::string& service, const std::string& operation) {
  return pacing_.limiter.BucketFor(pacing_.account, pacing_.region, service, operation).Peek();
}

Result<std::vector<AsgInstanceView>> AwsZoneApi::DescribeAutoScalingInstances(
    const std::vector<std::string>& ids) {
  FP_ASSIGN_OR_RETURN(auto members, asg_.DescribeAutoScalingInstances(ids));
  std::vector<AsgInstanceView> out;
  out.reserve(members.size());
  for (auto& m : members)
    out.push_back({std::move(m.instance_id), std::move(m.group_name), std::move(m.lifecycle_state)});
  return out;
}

Status AwsZoneApi::EnterStandby(const std::string& group, const std::vector<std::string>& instance_ids) {
  auto r = asg_.EnterStandby(group, instance_ids, /*decrement_desired=*/true);
  return r.ok() ? OkStatus() : Status(r.error());
}

Status AwsZoneApi::ExitStandby(const std::string& group, const std::vector<std::string>& instance_ids) {
  auto r = asg_.ExitStandby(group, instance_ids);
  return r.ok() ? OkStatus() : Status(r.error());
}

Status AwsZoneApi::SuspendProcesses(const std::string& group) {
  return asg_.SuspendProcesses(group, aws::kPatchSuspendedProcesses);
}

Status AwsZoneApi::ResumeProcesses(const std::string& group) {
  return asg_.ResumeProcesses(group, aws::kPatchSuspendedProcesses);
}

Status AwsZoneApi::ForEachInstancePage(const std::map<std::string, std::vector<std::string>>& filters,
                                       const std::function<void(std::vector<Ec2InstanceView>&&)>& on_page) {
  aws::DescribeInstancesRequest req;
  req.filters = Filters(filters);
  req.page_size = 1000;
  return ec2_.ForEachInstancePage(req, [&](std::vector<aws::Instance>&& page) -> Status {
    std::vector<Ec2InstanceView> views;
    views.reserve(page.size());
    for (auto& i : page) {
      Ec2InstanceView v;
      v.instance_id = std::move(i.instance_id);
      v.state = std::move(i.state);
      v.platform = !i.platform.empty() ? std::move(i.platform) : std::move(i.platform_details);
      v.instance_type = std::move(i.instance_type);
      v.availability_zone = std::move(i.availability_zone);
      v.tags = std::move(i.tags);
      v.root_device_type = std::move(i.root_device_type);
      views.push_back(std::move(v));
    }
    on_page(std::move(views));
    return OkStatus();
  });
}

namespace {

void AppendViews(std::vector<aws::InstanceInformation>&& infos, std::vector<SsmInstanceView>* out) {
  out->reserve(out->size() + infos.size());
  for (auto& i : infos) {
    out->push_back({std::move(i.instance_id), std::move(i.ping_status), std::move(i.platform_type),
                    std::move(i.platform_name), std::move(i.agent_version)});
  }
}

}  // namespace

Result<std::vector<SsmInstanceView>> AwsZoneApi::DescribeInstanceInformation() {
  FP_ASSIGN_OR_RETURN(auto infos, ssm_.DescribeInstanceInformation());
  std::vector<SsmInstanceView> out;
  AppendViews(std::move(infos), &out);
  return out;
}

Result<std::vector<SsmInstanceView>> AwsZoneApi::DescribeInstanceInformation(
    const std::vector<std::string>& instance_ids) {
  std::vector<SsmInstanceView> out;
  for (size_t at = 0; at < instance_ids.size(); at += aws::kSsmInstanceIdsPerCall) {
    const size_t end = std::min(instance_ids.size(), at + aws::kSsmInstanceIdsPerCall);
    aws::SsmFilter ids{"InstanceIds", {instance_ids.begin() + at, instance_ids.begin() + end}};
    FP_ASSIGN_OR_RETURN(auto infos, ssm_.DescribeInstanceInformation({ids}));
    AppendViews(std::move(infos), &out);
  }
  return out;
}

Result<std::vector<InstanceStatusView>> AwsZoneApi::DescribeInstanceStatus(
    const std::vector<std::string>& instance_ids) {
  FP_ASSIGN_OR_RETURN(auto infos, ec2_.DescribeInstanceStatus(instance_ids));
  std::vector<InstanceStatusView> out;
  out.reserve(infos.size());
  for (auto& i : infos) {
    out.push_back({std::move(i.instance_id), std::move(i.state), std::move(i.system_status),
                   std::move(i.instance_status)});
  }
  return out;
}

Result<ReplaceTaskView> AwsZoneApi::CreateReplaceRootVolumeTask(const std::string& instance_id,
                                                                const std::string& image_id,
                                                                bool delete_replaced_root_volume,
                                                                const std::string& client_token) {
  aws::CreateReplaceRootVolumeTaskRequest req;
  req.instance_id = instance_id;
  req.image_id = image_id;
  req.delete_replaced_root_volume = delete_replaced_root_volume;
  req.client_token = client_token;
  FP_ASSIGN_OR_RETURN(auto t, ec2_.CreateReplaceRootVolumeTask(req));
  return ReplaceTaskView{std::move(t.task_id), std::move(t.instance_id), std::move(t.state)};
}

Result<std::vector<ReplaceTaskView>> AwsZoneApi::DescribeReplaceRootVolumeTasks(
    const std::vector<std::string>& task_ids) {
  aws::DescribeReplaceRootVolumeTasksRequest req;
  req.task_ids = task_ids;
  FP_ASSIGN_OR_RETURN(auto tasks, ec2_.DescribeReplaceRootVolumeTasks(req));
  std::vector<ReplaceTaskView> out;
  for (auto& t : tasks) out.push_back({std::move(t.task_id), std::move(t.instance_id), std::move(t.state)});
  return out;
}

Result<std::vector<ImageView>> AwsZoneApi::DescribeImagesById(const std::vector<std::string>& image_ids) {
  std::vector<ImageView> out;
  constexpr size_t kBatch = 200;  // ids per DescribeImages call: many images per poll, bounded request size
  for (size_t i = 0; i < image_ids.size(); i += kBatch) {
    aws::DescribeImagesRequest req;
    req.image_ids.assign(image_ids.begin() + static_cast<long>(i),
                         image_ids.begin() + static_cast<long>(std::min(image_ids.size(), i + kBatch)));
    auto images = ec2_.DescribeImages(req);
    if (!images.ok()) {
      // One unknown id fails the whole call: fall back to a filter, which ignores unknown ids.
      if (images.error().aws_code != "InvalidAMIID.NotFound" &&
          images.error().aws_code != "InvalidAMIID.Unavailable") {
        return images.error();
      }
      aws::DescribeImagesRequest by_filter;
      by_filter.filters = {{"image-id", req.image_ids}};
      images = ec2_.DescribeImages(by_filter);
      if (!images.ok()) return images.error();
    }
    for (auto& img : *images) out.push_back(ToView(std::move(img)));
  }
  return out;
}

Result<std::vector<ImageView>> AwsZoneApi::DescribeImagesByTag(const std::string& key,
                                                               const std::string& value) {
  aws::DescribeImagesRequest req;
  req.filters = {{"tag:" + key, {value}}};
  FP_ASSIGN_OR_RETURN(auto images, ec2_.DescribeImages(req));
  std::vector<ImageView> out;
  for (auto& img : images) out.push_back(ToView(std::move(img)));
  return out;
}

Result<std::string> AwsZoneApi::CreateImage(const std::string& instance_id, const std::string& name,
                                            const std::string& description, bool no_reboot,
                                            const Tags& tags) {
  aws::CreateImageRequest req;
  req.instance_id = instance_id;
  req.name = name;
  req.description = description;
  req.no_reboot = no_reboot;
  for (const auto& [k, v] : tags) {
    req.image_tags[k] = v;
    req.snapshot_tags[k] = v;
  }
  return ec2_.CreateImage(req);
}

Status AwsZoneApi::DeregisterImage(const std::string& image_id) { return ec2_.DeregisterImage(image_id); }

Result<std::set<std::string>> AwsZoneApi::DescribeOwnedSnapshotIds(
    const std::vector<std::string>& snapshot_ids) {
  std::set<std::string> out;
  for (size_t i = 0; i < snapshot_ids.size(); i += kSnapshotIdsPerCall) {
    aws::DescribeSnapshotsRequest req;
    req.owner_ids = {"self"};  // never another account's snapshot, whatever its tags say
    req.filters = {
        {"snapshot-id",
         {snapshot_ids.begin() + static_cast<long>(i),
          snapshot_ids.begin() + static_cast<long>(std::min(snapshot_ids.size(), i + kSnapshotIdsPerCall))}}};
    FP_ASSIGN_OR_RETURN(auto snaps, ec2_.DescribeSnapshots(req));
    for (auto& s : snaps) out.insert(std::move(s.snapshot_id));
  }
  return out;
}

Status AwsZoneApi::DeleteSnapshot(const std::string& snapshot_id) { return ec2_.DeleteSnapshot(snapshot_id); }

Result<std::string> AwsZoneApi::SendCommand(const std::string& document,
                                            const std::vector<std::string>& instance_ids,
                                            const std::map<std::string, std::vector<std::string>>& parameters,
                                            int timeout_s, const std::string& comment) {
  if (instance_ids.empty() || instance_ids.size() > aws::kSsmInstanceIdsPerCall) {
    return Error::Internal("SendCommand takes 1 to 50 instance ids per call");
  }
  aws::SendCommandRequest req;
  req.instance_ids = instance_ids;
  req.document_name = document;
  req.parameters = parameters;
  req.comment = comment.substr(0, 100);  // SSM caps comments at 100 characters
  // SSM accepts TimeoutSeconds (the delivery timeout) of 30 s to 30 days; the config allows a
  // shorter ssm_connection timeout, which the workflow enforces itself while waiting.
  req.timeout_seconds = std::clamp(timeout_s, 30, 2592000);
  FP_ASSIGN_OR_RETURN(auto sent, ssm_.SendCommand(req));
  if (sent.size() != 1)
    return Error::Internal("SendCommand answered with " + std::to_string(sent.size()) + " commands");
  return sent.front().command_id;
}

Result<std::vector<InvocationView>> AwsZoneApi::ListInvocations(const std::string& command_id) {
  FP_ASSIGN_OR_RETURN(auto invs, ssm_.ListCommandInvocations(command_id));
  std::vector<InvocationView> out;
  out.reserve(invs.size());
  for (auto& i : invs) {
    InvocationView v;
    v.command_id = std::move(i.command_id);
    v.instance_id = std::move(i.instance_id);
    v.status = std::move(i.status);
    v.status_details = std::move(i.status_details);
    v.response_code = i.response_code.value_or(-1);
    v.output = !i.plugins.empty() ? std::move(i.plugins.front().output) : std::move(i.standard_output);
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::string> AwsZoneApi::GetInvocationOutput(const std::string& command_id,
                                                    const std::string& instance_id) {
  FP_ASSIGN_OR_RETURN(auto inv, ssm_.GetCommandInvocation(command_id, instance_id));
  return std::move(inv.standard_output);
}

Status AwsZoneApi::CancelCommand(const std::string& command_id,
                                 const std::vector<std::string>& instance_ids) {
  return ssm_.CancelCommand(command_id, instance_ids);
}

Result<std::vector<PatchStateView>> AwsZoneApi::DescribePatchStates(
    const std::vector<std::string>& instance_ids) {
  FP_ASSIGN_OR_RETURN(auto states, ssm_.DescribeInstancePatchStates(instance_ids));
  std::vector<PatchStateView> out;
  for (auto& s : states) {
    PatchStateView v;
    v.instance_id = std::move(s.instance_id);
    v.installed = s.installed;
    v.installed_other = s.installed_other;
    v.installed_pending_reboot = s.installed_pending_reboot;
    v.installed_rejected = s.installed_rejected;
    v.missing = s.missing;
    v.failed = s.failed;
    v.operation = std::move(s.operation);
    if (s.operation_end)
      v.operation_end_time_s = std::chrono::duration<double>(s.operation_end->time_since_epoch()).count();
    v.patch_group = std::move(s.patch_group);
    if (s.last_no_reboot_install) {
      v.last_no_reboot_install_s =
          std::chrono::duration<double>(s.last_no_reboot_install->time_since_epoch()).count();
    }
    out.push_back(std::move(v));
  }
  return out;
}

AwsZoneConnector::AwsZoneConnector(aws::AwsContext& context, std::shared_ptr<aws::CredentialsProvider> base,
                                   RateLimiter& limiter, std::map<std::string, ZoneAccess> access)
    : context_(context), base_(std::move(base)), limiter_(limiter), access_(std::move(access)) {}

Result<std::shared_ptr<ZoneApi>> AwsZoneConnector::Connect(const ZoneSpec& zone) {
  ZoneAccess access;
  if (auto it = access_.find(zone.info.name); it != access_.end()) access = it->second;
  std::shared_ptr<aws::CredentialsProvider> creds = base_;
  const std::string& region = zone.info.region;
  if (!access.role_arn.empty()) {
    aws::AssumeRoleConfig cfg;
    cfg.role_arn = access.role_arn;
    cfg.external_id = access.external_id;
    cfg.session_name = access.session_name;
    cfg.duration_s = access.duration_s;
    cfg.region = region;
    creds = std::make_shared<aws::AssumeRoleProvider>(cfg, base_, context_, context_.clock());
    limiter_.Acquire(zone.info.account_id, region, "sts", "AssumeRole", CallPriority::kNormal);
    // Assume now: a zone whose role cannot be assumed fails here, with the role named.
    if (auto c = creds->GetCredentials(); !c.ok()) {
      Error e = c.error();
      if (e.category != ErrorCategory::kConnectivity && e.category != ErrorCategory::kTimeout &&
          e.category != ErrorCategory::kThrottled) {
        e.category = ErrorCategory::kAuth;
      }
      return e;
    }
  }
  FP_ASSIGN_OR_RETURN(auto ec2, context_.MakeClient("ec2", region, creds, access.endpoint_url,
                                                    std::make_shared<RateLimiterGate>(
                                                        limiter_, zone.info.account_id, region, "ec2")));
  FP_ASSIGN_OR_RETURN(auto ssm, context_.MakeClient("ssm", region, creds, access.endpoint_url,
                                                    std::make_shared<RateLimiterGate>(
                                                        limiter_, zone.info.account_id, region, "ssm")));
  FP_ASSIGN_OR_RETURN(
      auto asg, context_.MakeClient("autoscaling", region, creds, access.endpoint_url,
                                    std::make_shared<RateLimiterGate>(limiter_, zone.info.account_id, region,
                                                                      "autoscaling")));
  return std::shared_ptr<ZoneApi>(std::make_shared<AwsZoneApi>(
      std::move(ec2), std::move(ssm), std::move(asg), ZonePacing{limiter_, zone.info.account_id, region}));
}

}  // namespace fleetpatch::workflow
