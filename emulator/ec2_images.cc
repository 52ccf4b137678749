// EC2 CreateImage, DescribeImages and DeregisterImage: AMIs and the snapshots behind them.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "common/time_format.h"
#include "emulator/ec2_common.h"
#include "emulator/instance_health.h"

namespace fleetpatch::emulator {
namespace {

// TagSpecification.N: resource type (image | snapshot) -> tags.
std::map<std::string, std::vector<Tag>> TagSpecifications(const Params& p) {
  std::map<std::string, std::vector<Tag>> tag_specs;
  for (int i = 1;; ++i) {
    std::string base = fmt::format("TagSpecification.{}", i);
    auto rt = p.find(base + ".ResourceType");
    if (rt == p.end()) break;
    if (rt->second != "image" && rt->second != "snapshot")
      throw ApiError{400, "InvalidParameterValue",
                     "'" + rt->second +
                         "' is not a valid taggable resource type for this operation. Valid resource types: "
                         "image, snapshot"};
    auto tags = TagParams(p, base + ".Tag");
    ValidateTags(tags);
    auto& dst = tag_specs[rt->second];
    dst.insert(dst.end(), tags.begin(), tags.end());
  }
  return tag_specs;
}

// One snapshot per disk of the instance, backing `img`'s block device mappings.
void SnapshotDisks(Emulator::Impl& im, Zone& z, const InstanceSpec& s,
                   const std::map<std::string, std::string>& tags, Image* img) {
  for (size_t i = 0; i < s.disks.size(); ++i) {
    BlockDevice d;
    d.device = DeviceName(s.platform, i);
    d.size_gb =
        std::max<int>(1, static_cast<int>(std::ceil(static_cast<double>(s.disks[i].size_kb) / 1048576.0)));
    Snapshot snap;
    snap.id = im.NewId("snap-", 17);
    snap.volume_id = VolumeId(s.id, i);
    snap.owner_id = img->owner_id;
    snap.description = "Created by CreateImage(" + s.id + ") for " + img->id;
    snap.image_id = img->id;
    snap.size_gb = d.size_gb;
    snap.started = img->created;
    snap.ready = img->ready;
    snap.fails = img->fails;
    snap.tags = tags;
    d.snapshot_id = snap.id;
    z.snapshots[snap.id] = snap;
    img->devices.push_back(d);
  }
}

bool ImageMatches(const Image& img, const std::string& state, const std::vector<Filter>& filters) {
  for (const auto& f : filters) {
    bool m = false;
    if (TagFilter(f, img.tags, &m)) {
    } else if (f.name == "name")
      m = MatchAny(f.values, img.name);
    else if (f.name == "state")
      m = MatchAny(f.values, state);
    else if (f.name == "image-id")
      m = MatchAny(f.values, img.id);
    else if (f.name == "owner-id")
      m = MatchAny(f.values, img.owner_id);
    else if (f.name == "description")
      m = MatchAny(f.values, img.description);
    else if (f.name == "platform")
      m = img.platform == "windows" && MatchAny(f.values, "windows");
    else if (f.name == "is-public")
      m = MatchAny(f.values, "false");
    else if (f.name == "image-type")
      m = MatchAny(f.values, "machine");
    else if (f.name == "architecture")
      m = MatchAny(f.values, "x86_64");
    else if (f.name == "root-device-type")
      m = MatchAny(f.values, "ebs");
    else if (f.name == "virtualization-type")
      m = MatchAny(f.values, "hvm");
    else if (f.name == "block-device-mapping.snapshot-id")
      for (const auto& d : img.devices) m = m || MatchAny(f.values, d.snapshot_id);
    if (!m) return false;
  }
  return true;
}

void WriteImage(XmlWriter& x, const Emulator::Impl& im, const Image& img, const std::string& state) {
  bool windows = img.platform == "windows";
  x.Open("item")
      .Leaf("imageId", img.id)
      .Leaf("imageLocation", img.owner_id + "/" + img.name)
      .Leaf("imageState", state);
  x.Leaf("imageOwnerId", img.owner_id)
      .Leaf("creationDate", FormatIso8601Millis(im.SimToWall(img.created)))
      .Leaf("isPublic", false);
  x.Leaf("architecture", "x86_64").Leaf("imageType", "machine");
  if (windows) x.Leaf("platform", "windows");
  x.Leaf("name", img.name);
  if (!img.description.empty()) x.Leaf("description", img.description);
  x.Leaf("rootDeviceType", "ebs").Leaf("rootDeviceName", windows ? "/dev/sda1" : "/dev/xvda");
  x.Open("blockDeviceMapping");
  for (const auto& d : img.devices) {
    x.Open("item").Leaf("deviceName", d.device).Open("ebs").Leaf("snapshotId", d.snapshot_id);
    x.Leaf("volumeSize", d.size_gb)
        .Leaf("deleteOnTermination", true)
        .Leaf("volumeType", "gp3")
        .Leaf("encrypted", false);
    x.Close("ebs").Close("item");
  }
  x.Close("blockDeviceMapping").Leaf("virtualizationType", "hvm");
  WriteTags(x, img.tags);
  x.Leaf("hypervisor", "xen").Leaf("enaSupport", true);
  if (state == "failed")
    x.Open("stateReason")
        .Leaf("code", "Client.InternalError")
        .Leaf("message", "Client.InternalError: Snapshot creation failed for one or more volumes")
        .Close("stateReason");
  x.Leaf("platformDetails", windows ? "Windows" : "Linux/UNIX")
      .Leaf("usageOperation", windows ? "RunInstances:0002" : "RunInstances:0000");
  if (!img.instance_id.empty()) x.Leaf("sourceInstanceId", img.instance_id);
  x.Close("item");
}

}  // namespace

Response CreateImage(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string op = "CreateImage";
  const std::string& account = ctx.identity->account_id;
  Zone& z = im.ZoneFor(account, ctx.region);
  XmlWriter x;
  std::string instance_id = Get(p, "InstanceId"), name = Get(p, "Name");
  if (instance_id.empty())
    throw ApiError{400, "MissingParameter", "The request must contain the parameter instanceId"};
  if (name.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter name"};
  static const std::regex kName("^[a-zA-Z0-9()\\[\\] ./'@_-]{3,128}$");
  if (!std::regex_match(name, kName))
    throw ApiError{400, "InvalidAMIName.Malformed",
                   "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, "
                   "'(', ')', '.', '-', '/', '_', spaces, '[', ']', '@' and '''"};
  std::string description = Get(p, "Description");
  if (description.size() > 255)
    throw ApiError{400, "InvalidParameterValue", "The description must be at most 255 characters"};
  std::map<std::string, std::vector<Tag>> tag_specs = TagSpecifications(p);
  CheckId(instance_id, "i", "InvalidInstanceID.Malformed", "");
  Authorize(op, ctx);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  const InstanceState* st = z.Find(instance_id);
  if (!st)
    throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + instance_id + "' does not exist"};
  const InstanceSpec& s = *st->spec;
  std::string state = StateAt(*st, ctx.now);
  if (state != "running" && state != "stopped" && state != "stopping")
    throw ApiError{400, "IncorrectInstanceState",
                   "The instance '" + instance_id + "' is not in a state from which it can be imaged."};
  for (const auto& [id, img] : z.images)
    if (!img.deregistered && img.name == name)
      throw ApiError{400, "InvalidAMIName.Duplicate", "AMI name " + name + " is already in use by AMI " + id};
  Image img;
  img.id = im.NewId("ami-", 17);
  img.name = name;
  img.description = description;
  img.instance_id = instance_id;
  img.owner_id = account;
  img.platform = s.platform;
  img.created = ctx.now;
  img.ready = ctx.now + s.ami_duration_s;
  img.fails = s.ami_fails;
  std::map<std::string, std::string> image_tags, snapshot_tags;
  ApplyTags(image_tags, tag_specs["image"]);
  ApplyTags(snapshot_tags, tag_specs["snapshot"]);
  img.tags = image_tags;
  SnapshotDisks(im, z, s, snapshot_tags, &img);
  z.images[img.id] = img;
  std::string root = Header(op, ctx, x);
  x.Leaf("imageId", img.id).Close(root);
  return Ec2Xml(x.str());
}

Response DescribeImages(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string op = "DescribeImages";
  const std::string& account = ctx.identity->account_id;
  Zone& z = im.ZoneFor(account, ctx.region);
  XmlWriter x;
  std::vector<std::string> ids = ListParam(p, "ImageId");
  std::vector<std::string> owners = ListParam(p, "Owner");
  std::vector<Filter> filters = FilterParams(p);
  CheckFilters(filters, {"name", "state", "image-id", "owner-id", "description", "platform", "is-public",
                         "image-type", "architecture", "root-device-type", "virtualization-type",
                         "block-device-mapping.snapshot-id"});
  int max = MaxResults(p, 1, 1000);
  if (max && !ids.empty())
    throw ApiError{400, "InvalidParameterCombination",
                   "The parameter imagesSet cannot be used with the parameter maxResults"};
  std::string start = StartKey(p);
  for (const auto& id : ids) CheckId(id, "ami", "InvalidAMIID.Malformed", "");
  Authorize(op, ctx);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    auto it = z.images.find(id);
    if (it == z.images.end() || it->second.deregistered ||
        !(it->second.owner_id == account || it->second.is_public))
      missing.push_back(id);
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + list + "]' does not exist"};
  }
  std::string root = Header(op, ctx, x);
  x.Open("imagesSet");
  std::string next;
  int count = 0;
  for (auto it = z.images.lower_bound(start); it != z.images.end(); ++it) {
    const Image& img = it->second;
    if (img.deregistered || !(img.owner_id == account || img.is_public) ||
        !OwnerMatches(owners, img.owner_id, account))
      continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), img.id) == ids.end()) continue;
    std::string state = ImageState(img, ctx.now);
    if (!ImageMatches(img, state, filters)) continue;
    if (max && count == max) {
      next = img.id;
      break;
    }
    ++count;
    WriteImage(x, im, img, state);
  }
  x.Close("imagesSet");
  if (!next.empty()) x.Leaf("nextToken", EncodeToken(next));
  x.Close(root);
  return Ec2Xml(x.str());
}

Response DeregisterImage(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const Params& p = in.params;
  const std::string op = "DeregisterImage";
  const std::string& account = ctx.identity->account_id;
  Zone& z = im.ZoneFor(account, ctx.region);
  XmlWriter x;
  std::string id = Get(p, "ImageId");
  if (id.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter imageId"};
  CheckId(id, "ami", "InvalidAMIID.Malformed", "");
  bool delete_snapshots = Get(p, "DeleteAssociatedSnapshots") == "true";
  Authorize(op, ctx);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  auto it = z.images.find(id);
  if (it == z.images.end() || it->second.deregistered ||
      !(it->second.owner_id == account || it->second.is_public))
    throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + id + "]' does not exist"};
  if (it->second.owner_id != account) throw ApiError{403, "AuthFailure", "Not authorized for image:" + id};
  it->second.deregistered = true;
  std::string root = Header(op, ctx, x);
  x.Leaf("return", true);
  if (delete_snapshots) {
    x.Open("deleteSnapshotResultSet");
    for (const auto& d : it->second.devices) {
      auto s = z.snapshots.find(d.snapshot_id);
      if (s != z.snapshots.end()) s->second.deleted = true;
      x.Open("item").Leaf("snapshotId", d.snapshot_id).Leaf("returnCode", "success").Close("item");
    }
    x.Close("deleteSnapshotResultSet");
  }
  x.Close(root);
  return Ec2Xml(x.str());
}

}  // namespace fleetpatch::emulator
