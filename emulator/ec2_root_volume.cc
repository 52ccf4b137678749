// EC2 CreateReplaceRootVolumeTask and DescribeReplaceRootVolumeTasks: replacing an instance's root
// volume from an AMI (or a snapshot) keeps its id, ENIs and data volumes. The task is pending,
// then in-progress (the instance reboots: agent ConnectionLost, status initializing) and
// succeeded; the instance then runs what the AMI held: post-patch failures are gone, an instance
// that never came back from its patch reboot is back, and the patch state is the AMI's.
#include <fmt/format.h>

#include <algorithm>

#include "common/time_format.h"
#include "emulator/ec2_common.h"
#include "emulator/instance_health.h"
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {
namespace {

constexpr double kPendingS = 5;        // pending before in-progress
constexpr double kStatusSettleS = 30;  // status checks initializing after the task ends

std::string TaskState(const ReplaceRootVolumeTask& t, double now) {
  if (now < t.in_progress_at) return "pending";
  if (now < t.end) return "in-progress";
  return t.fails ? "failed" : "succeeded";
}

void WriteTask(XmlWriter& x, const Emulator::Impl& im, const ReplaceRootVolumeTask& t, double now,
               const char* element) {
  std::string state = TaskState(t, now);
  x.Open(element)
      .Leaf("replaceRootVolumeTaskId", t.id)
      .Leaf("instanceId", t.instance_id)
      .Leaf("taskState", state);
  x.Leaf("startTime", FormatIso8601Millis(im.SimToWall(t.start)));
  if (state == "succeeded" || state == "failed")
    x.Leaf("completeTime", FormatIso8601Millis(im.SimToWall(t.end)));
  WriteTags(x, t.tags);
  if (!t.image_id.empty()) x.Leaf("imageId", t.image_id);
  if (!t.snapshot_id.empty()) x.Leaf("snapshotId", t.snapshot_id);
  x.Leaf("deleteReplacedRootVolume", t.delete_replaced);
  x.Close(element);
}

// The instance the task may replace the root volume of; the errors EC2 answers otherwise.
InstanceState& ReplaceableInstance(Zone& z, const std::string& id, double now) {
  InstanceState* st = z.Find(id);
  if (!st) throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist"};
  if (StateAt(*st, now) != "running")
    throw ApiError{400, "IncorrectInstanceState",
                   "The instance '" + id + "' is not in a valid state for this operation."};
  if (st->spec->root_device_type != "ebs")
    throw ApiError{400, "UnsupportedOperation",
                   "The instance '" + id +
                       "' has an instance store root volume. Root volume replacement is supported only for "
                       "EBS-backed instances."};
  for (const auto& [tid, t] : z.root_tasks)
    if (t.instance_id == id && now < t.end)
      throw ApiError{
          400, "IncorrectState",
          "The instance '" + id + "' already has a root volume replacement task in progress (" + tid + ")."};
  return *st;
}

// The patch state the replacement restores: what was installed when the AMI (or snapshot) was taken.
double SourceTime(const Zone& z, const std::string& image_id, const std::string& snapshot_id,
                  const std::string& account, double now) {
  if (!image_id.empty()) {
    auto img = z.images.find(image_id);
    if (img == z.images.end() || img->second.deregistered ||
        !(img->second.owner_id == account || img->second.is_public))
      throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + image_id + "]' does not exist"};
    if (ImageState(img->second, now) != "available")
      throw ApiError{400, "InvalidAMIID.Unavailable", "The image " + image_id + " is not available."};
    return img->second.created;
  }
  if (!snapshot_id.empty()) {
    auto s = z.snapshots.find(snapshot_id);
    if (s == z.snapshots.end() || s->second.deleted || s->second.owner_id != account)
      throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + snapshot_id + "' does not exist."};
    return s->second.started;
  }
  return -kNever;  // the launch state: the baseline
}

void StartTask(Emulator::Impl& im, Zone& z, InstanceState& st, ReplaceRootVolumeTask& t, double source_time) {
  t.in_progress_at = t.start + kPendingS;
  t.end = t.in_progress_at + st.spec->replace_root_volume_s;
  Outage o{t.in_progress_at, t.end, t.end + kStatusSettleS};
  st.outages.push_back(o);
  st.restored_at = t.end;
  st.restored_counts = source_time == -kNever ? st.baseline : InstalledState(z, st, source_time);
  st.root_volume_id = im.NewId("vol-", 17);
  ScheduleHealthReplacement(z, st, t.in_progress_at);
}

}  // namespace

Response CreateReplaceRootVolumeTask(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string& account = ctx.identity->account_id;
  std::string instance_id = Get(p, "InstanceId"), image_id = Get(p, "ImageId"),
              snapshot_id = Get(p, "SnapshotId");
  if (instance_id.empty())
    throw ApiError{400, "MissingParameter", "The request must contain the parameter InstanceId"};
  CheckId(instance_id, "i", "InvalidInstanceID.Malformed", "");
  if (!image_id.empty() && !snapshot_id.empty())
    throw ApiError{400, "InvalidParameterCombination",
                   "You can specify either a snapshot ID or an image ID, but not both."};
  if (!image_id.empty()) CheckId(image_id, "ami", "InvalidAMIID.Malformed", "");
  if (!snapshot_id.empty()) CheckId(snapshot_id, "snap", "InvalidSnapshotID.Malformed", "");
  std::vector<Tag> tags = TagParams(p, "TagSpecification.1.Tag");
  ValidateTags(tags);
  Authorize("CreateReplaceRootVolumeTask", ctx);
  Zone& z = im.ZoneFor(account, ctx.region);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  InstanceState& st = ReplaceableInstance(z, instance_id, ctx.now);
  double source_time = SourceTime(z, image_id, snapshot_id, account, ctx.now);
  ReplaceRootVolumeTask t;
  t.id = im.NewId("replacevol-", 17);
  t.instance_id = instance_id;
  t.image_id = image_id;
  t.snapshot_id = snapshot_id;
  t.delete_replaced = Get(p, "DeleteReplacedRootVolume") == "true";
  t.start = ctx.now;
  ApplyTags(t.tags, tags);
  StartTask(im, z, st, t, source_time);
  z.root_tasks[t.id] = t;
  XmlWriter x;
  std::string root = Header("CreateReplaceRootVolumeTask", ctx, x);
  WriteTask(x, im, t, ctx.now, "replaceRootVolumeTask");
  x.Close(root);
  return Ec2Xml(x.str());
}

Response DescribeReplaceRootVolumeTasks(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  std::vector<std::string> ids = ListParam(p, "ReplaceRootVolumeTaskId");
  std::vector<Filter> filters = FilterParams(p);
  for (const auto& f : filters)
    if (f.name != "instance-id")
      throw ApiError{400, "InvalidParameterValue", "The filter '" + f.name + "' is invalid"};
  int max = MaxResults(p, 1, 50);
  std::string start = StartKey(p);
  Authorize("DescribeReplaceRootVolumeTasks", ctx);
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  XmlWriter x;
  std::string root = Header("DescribeReplaceRootVolumeTasks", ctx, x);
  x.Open("replaceRootVolumeTaskSet");
  int count = 0;
  std::string next;
  for (auto it = z.root_tasks.lower_bound(start); it != z.root_tasks.end(); ++it) {
    const ReplaceRootVolumeTask& t = it->second;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), t.id) == ids.end()) continue;
    bool match = true;
    for (const auto& f : filters) match = match && MatchAny(f.values, t.instance_id);
    if (!match) continue;
    if (max && count == max) {
      next = t.id;
      break;
    }
    ++count;
    WriteTask(x, im, t, ctx.now, "item");
  }
  x.Close("replaceRootVolumeTaskSet");
  if (!next.empty()) x.Leaf("nextToken", EncodeToken(next));
  x.Close(root);
  return Ec2Xml(x.str());
}

}  // namespace fleetpatch::emulator
