// EC2 Query operations: instances, status, AMIs, tags and snapshots.
#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "emulator/emulator_impl.h"

namespace fleetpatch::emulator {
namespace {

constexpr char kEc2Ns[] = "http://ec2.amazonaws.com/doc/2016-11-15/";

std::string Get(const Params& p, const char* key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

int StateCode(const std::string& state) {
  if (state == "pending") return 0;
  if (state == "running") return 16;
  if (state == "shutting-down") return 32;
  if (state == "terminated") return 48;
  if (state == "stopping") return 64;
  return 80;
}

// MaxResults: absent -> 0 (no paging); outside [lo, hi] -> InvalidParameterValue.
int MaxResults(const Params& p, int lo, int hi) {
  std::string v = Get(p, "MaxResults");
  if (v.empty()) return 0;
  int n = 0;
  try {
    n = std::stoi(v);
  } catch (const std::exception&) {
    throw ApiError{400, "InvalidParameterValue", "Value (" + v + ") for parameter maxResults is invalid. Expecting an integer."};
  }
  if (n < lo || n > hi)
    throw ApiError{400, "InvalidParameterValue",
                   fmt::format("Value ( {} ) for parameter maxResults is invalid. Expecting a value between {} and {}.", n, lo, hi)};
  return n;
}

std::string StartKey(const Params& p) {
  std::string token = Get(p, "NextToken");
  if (token.empty()) return "";
  std::string key;
  if (!DecodeToken(token, &key)) throw ApiError{400, "InvalidParameterValue", "Invalid value '" + token + "' for nextToken"};
  return key;
}

void CheckId(const std::string& id, const char* prefix, const char* malformed_code, const char* what) {
  static const std::regex kHex("^[0-9a-f]{8}([0-9a-f]{9})?$");
  std::string pre = std::string(prefix) + "-";
  if (id.rfind(pre, 0) != 0 || !std::regex_match(id.substr(pre.size()), kHex))
    throw ApiError{400, malformed_code, fmt::format("Invalid id: \"{}\" (expecting \"{}-...\")", id, prefix) + what};
}

bool MatchAny(const std::vector<std::string>& patterns, const std::string& value) {
  for (const auto& p : patterns)
    if (WildcardMatch(p, value)) return true;
  return false;
}

// Tag filters shared by every resource type. Returns true if `f` is a tag filter (and sets *match).
bool TagFilter(const Filter& f, const std::map<std::string, std::string>& tags, bool* match) {
  if (f.name.rfind("tag:", 0) == 0) {
    auto it = tags.find(f.name.substr(4));
    *match = it != tags.end() && MatchAny(f.values, it->second);
    return true;
  }
  if (f.name == "tag-key") {
    *match = false;
    for (const auto& [k, v] : tags) *match = *match || MatchAny(f.values, k);
    return true;
  }
  if (f.name == "tag-value") {
    *match = false;
    for (const auto& [k, v] : tags) *match = *match || MatchAny(f.values, v);
    return true;
  }
  return false;
}

void CheckFilters(const std::vector<Filter>& filters, const std::set<std::string>& names) {
  for (const auto& f : filters) {
    if (f.name.rfind("tag:", 0) == 0 || f.name == "tag-key" || f.name == "tag-value" || names.count(f.name)) continue;
    throw ApiError{400, "InvalidParameterValue", "The filter '" + f.name + "' is invalid"};
  }
}

void WriteTags(XmlWriter& x, const std::map<std::string, std::string>& tags) {
  if (tags.empty()) return;
  x.Open("tagSet");
  for (const auto& [k, v] : tags) x.Open("item").Leaf("key", k).Leaf("value", v).Close("item");
  x.Close("tagSet");
}

void ValidateTags(const std::vector<Tag>& tags) {
  for (const auto& t : tags) {
    if (t.key.empty() || t.key.size() > 128)
      throw ApiError{400, "InvalidParameterValue", "Tag keys must be between 1 and 128 characters"};
    if (t.value.size() > 256) throw ApiError{400, "InvalidParameterValue", "Tag values must be at most 256 characters"};
    if (t.key.rfind("aws:", 0) == 0)
      throw ApiError{400, "InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use"};
  }
}

void ApplyTags(std::map<std::string, std::string>& tags, const std::vector<Tag>& add) {
  for (const auto& t : add) tags[t.key] = t.value;
  if (tags.size() > 50) throw ApiError{400, "TagLimitExceeded", "The maximum number of tags per resource (50) would be exceeded"};
}

std::string ImageState(const Image& img, double now) {
  if (img.deregistered) return "deregistered";
  if (now < img.ready) return "pending";
  return img.fails ? "failed" : "available";
}

std::string SnapshotState(const Snapshot& s, double now) {
  if (now < s.ready) return "pending";
  return s.fails ? "error" : "completed";
}

std::string Header(const std::string& op, const CallContext& ctx, XmlWriter& x) {
  x.OpenNs(op + "Response", kEc2Ns).Leaf("requestId", ctx.request_id);
  return op + "Response";
}

// Permission and DryRun, as EC2 answers them: a read-only identity gets UnauthorizedOperation for
// mutating calls (dry run or not); a permitted dry run gets DryRunOperation (HTTP 412).
void Authorize(const std::string& op, const CallContext& ctx) {
  if (IsMutating(op) && ctx.identity->read_only)
    throw ApiError{403, "UnauthorizedOperation",
                   "You are not authorized to perform this operation. User: " + ctx.identity->arn +
                       " is not authorized to perform: ec2:" + op + " because no identity-based policy allows the ec2:" + op + " action"};
  if (ctx.dry_run) throw ApiError{412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."};
}

void WriteInstance(XmlWriter& x, const InstanceState& st, const std::string& owner, double now_unused) {
  (void)now_unused;
  const InstanceSpec& s = *st.spec;
  bool windows = s.platform == "windows";
  std::string ip_dns = s.private_ip;
  std::replace(ip_dns.begin(), ip_dns.end(), '.', '-');
  std::string private_dns = "ip-" + ip_dns + "." + (s.region == "us-east-1" ? std::string("ec2.internal") : s.region + ".compute.internal");
  bool running = s.state == "running";
  x.Open("item").Leaf("instanceId", s.id).Leaf("imageId", s.image_id);
  x.Open("instanceState").Leaf("code", StateCode(s.state)).Leaf("name", s.state).Close("instanceState");
  x.Leaf("privateDnsName", s.state == "terminated" ? "" : private_dns).Leaf("dnsName", "");
  x.Leaf("reason", s.state == "stopped" ? "User initiated (2024-01-15 09:30:00 GMT)" : "");
  x.Leaf("amiLaunchIndex", 0).Empty("productCodes").Leaf("instanceType", s.instance_type);
  x.Leaf("launchTime", "2024-01-15T08:00:00.000Z");
  x.Open("placement").Leaf("availabilityZone", s.availability_zone).Leaf("groupName", "").Leaf("tenancy", "default").Close("placement");
  if (windows) x.Leaf("platform", "windows");
  x.Open("monitoring").Leaf("state", "disabled").Close("monitoring");
  if (s.state != "terminated") {
    x.Leaf("subnetId", "subnet-" + s.account_id.substr(4) + "a1b2c").Leaf("vpcId", "vpc-" + s.account_id.substr(4) + "0f1e");
    x.Leaf("privateIpAddress", s.private_ip);
  }
  x.Leaf("sourceDestCheck", true);
  x.Open("groupSet").Open("item").Leaf("groupId", "sg-" + s.account_id.substr(4) + "9d8c7").Leaf("groupName", "fleet-default").Close("item").Close("groupSet");
  if (s.state == "stopped")
    x.Open("stateReason").Leaf("code", "Client.UserInitiatedShutdown").Leaf("message", "Client.UserInitiatedShutdown: User initiated shutdown").Close("stateReason");
  x.Leaf("architecture", "x86_64").Leaf("rootDeviceType", "ebs").Leaf("rootDeviceName", windows ? "/dev/sda1" : "/dev/xvda");
  x.Open("blockDeviceMapping");
  for (size_t i = 0; i < s.disks.size() && s.state != "terminated"; ++i) {
    std::string dev = i == 0 ? (windows ? "/dev/sda1" : "/dev/xvda") : fmt::format("/dev/sd{}", static_cast<char>('f' + i - 1));
    x.Open("item").Leaf("deviceName", dev).Open("ebs");
    x.Leaf("volumeId", fmt::format("vol-{}{:x}", s.id.substr(2, 16), i)).Leaf("status", "attached");
    x.Leaf("attachTime", "2024-01-15T08:00:05.000Z").Leaf("deleteOnTermination", i == 0).Close("ebs").Close("item");
  }
  x.Close("blockDeviceMapping");
  x.Leaf("virtualizationType", "hvm").Leaf("clientToken", "");
  WriteTags(x, st.tags);
  x.Leaf("hypervisor", "xen").Leaf("ebsOptimized", false).Leaf("enaSupport", true);
  x.Open("iamInstanceProfile").Leaf("arn", "arn:aws:iam::" + owner + ":instance-profile/SSMManagedInstance")
      .Leaf("id", "AIPA" + s.account_id + "EXAMPLE").Close("iamInstanceProfile");
  x.Open("cpuOptions").Leaf("coreCount", std::max(1, s.cpus / 2)).Leaf("threadsPerCore", s.cpus > 1 ? 2 : 1).Close("cpuOptions");
  x.Open("metadataOptions").Leaf("state", "applied").Leaf("httpTokens", "required").Leaf("httpPutResponseHopLimit", 2)
      .Leaf("httpEndpoint", "enabled").Close("metadataOptions");
  x.Leaf("platformDetails", windows ? "Windows" : "Linux/UNIX").Leaf("usageOperation", windows ? "RunInstances:0002" : "RunInstances:0000");
  x.Leaf("bootMode", windows ? "legacy-bios" : "uefi");
  (void)running;
  x.Close("item");
}

bool InstanceMatches(const InstanceState& st, const std::vector<Filter>& filters) {
  const InstanceSpec& s = *st.spec;
  for (const auto& f : filters) {
    bool match = false;
    if (TagFilter(f, st.tags, &match)) {
    } else if (f.name == "instance-state-name") {
      match = MatchAny(f.values, s.state);
    } else if (f.name == "instance-state-code") {
      match = MatchAny(f.values, std::to_string(StateCode(s.state)));
    } else if (f.name == "instance-id") {
      match = MatchAny(f.values, s.id);
    } else if (f.name == "platform") {
      match = s.platform == "windows" && MatchAny(f.values, "windows");
    } else if (f.name == "platform-details") {
      match = MatchAny(f.values, s.platform == "windows" ? "Windows" : "Linux/UNIX");
    } else if (f.name == "availability-zone") {
      match = MatchAny(f.values, s.availability_zone);
    } else if (f.name == "instance-type") {
      match = MatchAny(f.values, s.instance_type);
    } else if (f.name == "image-id") {
      match = MatchAny(f.values, s.image_id);
    } else if (f.name == "private-ip-address") {
      match = MatchAny(f.values, s.private_ip);
    }
    if (!match) return false;
  }
  return true;
}

const std::set<std::string> kInstanceFilters = {"instance-state-name", "instance-state-code", "instance-id", "platform",
                                                "platform-details", "availability-zone", "instance-type", "image-id",
                                                "private-ip-address"};

// Resolves explicit instance ids: malformed -> InvalidInstanceID.Malformed; any unknown ->
// InvalidInstanceID.NotFound naming them all, as EC2 does.
std::vector<const InstanceState*> ResolveInstances(const Zone& z, const std::vector<std::string>& ids) {
  std::vector<const InstanceState*> out;
  std::vector<std::string> missing;
  for (const auto& id : ids) {
    CheckId(id, "i", "InvalidInstanceID.Malformed", "");
    const InstanceState* st = z.Find(id);
    if (!st) missing.push_back(id);
    else out.push_back(st);
  }
  if (missing.size() == 1) throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + missing[0] + "' does not exist"};
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw ApiError{400, "InvalidInstanceID.NotFound", "The instance IDs '" + list + "' do not exist"};
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->spec->id < b->spec->id; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Response Emulator::Impl::HandleEc2(const std::string& op, const Params& p, CallContext& ctx) {
  const std::string& account = ctx.identity->account_id;
  Zone& z = ZoneFor(account, ctx.region);
  XmlWriter x;

  if (op == "DescribeInstances" || op == "DescribeInstanceStatus") {
    bool status = op == "DescribeInstanceStatus";
    std::vector<std::string> ids = ListParam(p, "InstanceId");
    std::vector<Filter> filters = FilterParams(p);
    int max = MaxResults(p, 5, 1000);
    if (max && !ids.empty())
      throw ApiError{400, "InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults"};
    std::set<std::string> status_filters = kInstanceFilters;
    if (status) status_filters.insert({"instance-status.status", "system-status.status"});
    CheckFilters(filters, status_filters);
    std::string start = StartKey(p);
    bool include_all = Get(p, "IncludeAllInstances") == "true";
    Authorize(op, ctx);
    std::shared_lock<std::shared_mutex> lock(z.mu);
    std::vector<const InstanceState*> candidates;
    if (!ids.empty()) {
      candidates = ResolveInstances(z, ids);
    } else {
      auto it = std::lower_bound(z.instances.begin(), z.instances.end(), start,
                                 [](const InstanceState& s, const std::string& k) { return s.spec->id < k; });
      for (; it != z.instances.end(); ++it) candidates.push_back(&*it);
    }
    std::vector<const InstanceState*> page;
    std::string next;
    for (const InstanceState* st : candidates) {
      if (!InstanceMatches(*st, filters)) continue;
      const InstanceSpec& s = *st->spec;
      bool running = s.state == "running";
      if (status) {
        if (!running && !include_all) continue;
        bool ok_status = !s.status_impaired;
        bool skip = false;
        for (const auto& f : filters) {
          std::string v = !running ? "not-applicable" : (f.name == "instance-status.status" ? (ok_status ? "ok" : "impaired") : "ok");
          if (f.name == "instance-status.status" || f.name == "system-status.status") skip = skip || !MatchAny(f.values, v);
        }
        if (skip) continue;
      }
      if (max && static_cast<int>(page.size()) == max) {
        next = s.id;
        break;
      }
      page.push_back(st);
    }
    std::string root = Header(op, ctx, x);
    if (!status) {
      x.Open("reservationSet");
      for (const InstanceState* st : page) {
        x.Open("item").Leaf("reservationId", "r-" + st->spec->id.substr(2)).Leaf("ownerId", account);
        x.Empty("groupSet").Open("instancesSet");
        WriteInstance(x, *st, account, ctx.now);
        x.Close("instancesSet").Close("item");
      }
      x.Close("reservationSet");
    } else {
      x.Open("instanceStatusSet");
      for (const InstanceState* st : page) {
        const InstanceSpec& s = *st->spec;
        bool running = s.state == "running";
        std::string inst = !running ? "not-applicable" : (s.status_impaired ? "impaired" : "ok");
        std::string sys = running ? "ok" : "not-applicable";
        x.Open("item").Leaf("instanceId", s.id).Leaf("availabilityZone", s.availability_zone);
        x.Open("instanceState").Leaf("code", StateCode(s.state)).Leaf("name", s.state).Close("instanceState");
        x.Open("systemStatus").Leaf("status", sys).Open("details").Open("item").Leaf("name", "reachability")
            .Leaf("status", running ? "passed" : "not-applicable").Close("item").Close("details").Close("systemStatus");
        x.Open("instanceStatus").Leaf("status", inst).Open("details").Open("item").Leaf("name", "reachability")
            .Leaf("status", !running ? "not-applicable" : (s.status_impaired ? "failed" : "passed"));
        if (s.status_impaired) x.Leaf("impairedSince", IsoMillis(SimToWall(-600)));
        x.Close("item").Close("details").Close("instanceStatus");
        x.Open("attachedEbsStatus").Leaf("status", sys).Close("attachedEbsStatus");
        x.Close("item");
      }
      x.Close("instanceStatusSet");
    }
    if (!next.empty()) x.Leaf("nextToken", EncodeToken(next));
    x.Close(root);
    return Ec2Xml(x.str());
  }

  if (op == "CreateImage") {
    std::string instance_id = Get(p, "InstanceId"), name = Get(p, "Name");
    if (instance_id.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter instanceId"};
    if (name.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter name"};
    static const std::regex kName("^[a-zA-Z0-9()\\[\\] ./'@_-]{3,128}$");
    if (!std::regex_match(name, kName))
      throw ApiError{400, "InvalidAMIName.Malformed",
                     "AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/', '_', spaces, '[', ']', '@' and '''"};
    std::string description = Get(p, "Description");
    if (description.size() > 255) throw ApiError{400, "InvalidParameterValue", "The description must be at most 255 characters"};
    std::map<std::string, std::vector<Tag>> tag_specs;  // resource type -> tags
    for (int i = 1;; ++i) {
      std::string base = fmt::format("TagSpecification.{}", i);
      auto rt = p.find(base + ".ResourceType");
      if (rt == p.end()) break;
      if (rt->second != "image" && rt->second != "snapshot")
        throw ApiError{400, "InvalidParameterValue",
                       "'" + rt->second + "' is not a valid taggable resource type for this operation. Valid resource types: image, snapshot"};
      auto tags = TagParams(p, base + ".Tag");
      ValidateTags(tags);
      auto& dst = tag_specs[rt->second];
      dst.insert(dst.end(), tags.begin(), tags.end());
    }
    CheckId(instance_id, "i", "InvalidInstanceID.Malformed", "");
    Authorize(op, ctx);
    std::unique_lock<std::shared_mutex> lock(z.mu);
    const InstanceState* st = z.Find(instance_id);
    if (!st) throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + instance_id + "' does not exist"};
    const InstanceSpec& s = *st->spec;
    if (s.state != "running" && s.state != "stopped" && s.state != "stopping")
      throw ApiError{400, "IncorrectInstanceState", "The instance '" + instance_id + "' is not in a state from which it can be imaged."};
    for (const auto& [id, img] : z.images)
      if (!img.deregistered && img.name == name)
        throw ApiError{400, "InvalidAMIName.Duplicate", "AMI name " + name + " is already in use by AMI " + id};
    Image img;
    img.id = NewId("ami-", 17);
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
    for (size_t i = 0; i < s.disks.size(); ++i) {
      bool windows = s.platform == "windows";
      BlockDevice d;
      d.device = i == 0 ? (windows ? "/dev/sda1" : "/dev/xvda") : fmt::format("/dev/sd{}", static_cast<char>('f' + i - 1));
      d.size_gb = std::max<int>(1, static_cast<int>(std::ceil(static_cast<double>(s.disks[i].size_kb) / 1048576.0)));
      Snapshot snap;
      snap.id = NewId("snap-", 17);
      snap.volume_id = fmt::format("vol-{}{:x}", s.id.substr(2, 16), i);
      snap.owner_id = account;
      snap.description = "Created by CreateImage(" + instance_id + ") for " + img.id;
      snap.image_id = img.id;
      snap.size_gb = d.size_gb;
      snap.started = ctx.now;
      snap.ready = img.ready;
      snap.fails = img.fails;
      snap.tags = snapshot_tags;
      d.snapshot_id = snap.id;
      z.snapshots[snap.id] = snap;
      img.devices.push_back(d);
    }
    z.images[img.id] = img;
    std::string root = Header(op, ctx, x);
    x.Leaf("imageId", img.id).Close(root);
    return Ec2Xml(x.str());
  }

  if (op == "DescribeImages") {
    std::vector<std::string> ids = ListParam(p, "ImageId");
    std::vector<std::string> owners = ListParam(p, "Owner");
    std::vector<Filter> filters = FilterParams(p);
    CheckFilters(filters, {"name", "state", "image-id", "owner-id", "description", "platform", "is-public", "image-type",
                           "architecture", "root-device-type", "virtualization-type", "block-device-mapping.snapshot-id"});
    int max = MaxResults(p, 1, 1000);
    if (max && !ids.empty())
      throw ApiError{400, "InvalidParameterCombination", "The parameter imagesSet cannot be used with the parameter maxResults"};
    std::string start = StartKey(p);
    for (const auto& id : ids) CheckId(id, "ami", "InvalidAMIID.Malformed", "");
    Authorize(op, ctx);
    std::shared_lock<std::shared_mutex> lock(z.mu);
    std::vector<std::string> missing;
    for (const auto& id : ids) {
      auto it = z.images.find(id);
      if (it == z.images.end() || it->second.deregistered) missing.push_back(id);
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + list + "]' does not exist"};
    }
    bool owner_ok = owners.empty();
    for (const auto& o : owners) owner_ok = owner_ok || o == "self" || o == account;
    std::string root = Header(op, ctx, x);
    x.Open("imagesSet");
    std::string next;
    int count = 0;
    for (auto it = z.images.lower_bound(start); owner_ok && it != z.images.end(); ++it) {
      const Image& img = it->second;
      if (img.deregistered) continue;
      if (!ids.empty() && std::find(ids.begin(), ids.end(), img.id) == ids.end()) continue;
      std::string state = ImageState(img, ctx.now);
      bool match = true;
      for (const auto& f : filters) {
        bool m = false;
        if (TagFilter(f, img.tags, &m)) {
        } else if (f.name == "name") m = MatchAny(f.values, img.name);
        else if (f.name == "state") m = MatchAny(f.values, state);
        else if (f.name == "image-id") m = MatchAny(f.values, img.id);
        else if (f.name == "owner-id") m = MatchAny(f.values, img.owner_id);
        else if (f.name == "description") m = MatchAny(f.values, img.description);
        else if (f.name == "platform") m = img.platform == "windows" && MatchAny(f.values, "windows");
        else if (f.name == "is-public") m = MatchAny(f.values, "false");
        else if (f.name == "image-type") m = MatchAny(f.values, "machine");
        else if (f.name == "architecture") m = MatchAny(f.values, "x86_64");
        else if (f.name == "root-device-type") m = MatchAny(f.values, "ebs");
        else if (f.name == "virtualization-type") m = MatchAny(f.values, "hvm");
        else if (f.name == "block-device-mapping.snapshot-id")
          for (const auto& d : img.devices) m = m || MatchAny(f.values, d.snapshot_id);
        match = match && m;
      }
      if (!match) continue;
      if (max && count == max) {
        next = img.id;
        break;
      }
      ++count;
      bool windows = img.platform == "windows";
      x.Open("item").Leaf("imageId", img.id).Leaf("imageLocation", account + "/" + img.name).Leaf("imageState", state);
      x.Leaf("imageOwnerId", img.owner_id).Leaf("creationDate", IsoMillis(SimToWall(img.created))).Leaf("isPublic", false);
      x.Leaf("architecture", "x86_64").Leaf("imageType", "machine");
      if (windows) x.Leaf("platform", "windows");
      x.Leaf("name", img.name);
      if (!img.description.empty()) x.Leaf("description", img.description);
      x.Leaf("rootDeviceType", "ebs").Leaf("rootDeviceName", windows ? "/dev/sda1" : "/dev/xvda");
      x.Open("blockDeviceMapping");
      for (const auto& d : img.devices) {
        x.Open("item").Leaf("deviceName", d.device).Open("ebs").Leaf("snapshotId", d.snapshot_id);
        x.Leaf("volumeSize", d.size_gb).Leaf("deleteOnTermination", true).Leaf("volumeType", "gp3").Leaf("encrypted", false);
        x.Close("ebs").Close("item");
      }
      x.Close("blockDeviceMapping").Leaf("virtualizationType", "hvm");
      WriteTags(x, img.tags);
      x.Leaf("hypervisor", "xen").Leaf("enaSupport", true);
      if (state == "failed")
        x.Open("stateReason").Leaf("code", "Client.InternalError").Leaf("message", "Client.InternalError: Snapshot creation failed for one or more volumes").Close("stateReason");
      x.Leaf("platformDetails", windows ? "Windows" : "Linux/UNIX").Leaf("usageOperation", windows ? "RunInstances:0002" : "RunInstances:0000");
      x.Leaf("sourceInstanceId", img.instance_id);
      x.Close("item");
    }
    x.Close("imagesSet");
    if (!next.empty()) x.Leaf("nextToken", EncodeToken(next));
    x.Close(root);
    return Ec2Xml(x.str());
  }

  if (op == "CreateTags") {
    std::vector<std::string> resources = ListParam(p, "ResourceId");
    std::vector<Tag> tags = TagParams(p, "Tag");
    if (resources.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter resourceIdSet"};
    if (tags.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter tagSet"};
    ValidateTags(tags);
    for (const auto& r : resources) {
      if (r.rfind("i-", 0) == 0) CheckId(r, "i", "InvalidInstanceID.Malformed", "");
      else if (r.rfind("ami-", 0) == 0) CheckId(r, "ami", "InvalidAMIID.Malformed", "");
      else if (r.rfind("snap-", 0) == 0) CheckId(r, "snap", "InvalidSnapshotID.Malformed", "");
      else throw ApiError{400, "InvalidID", "The ID '" + r + "' is not valid"};
    }
    Authorize(op, ctx);
    std::unique_lock<std::shared_mutex> lock(z.mu);
    std::vector<std::map<std::string, std::string>*> targets;
    for (const auto& r : resources) {
      if (r.rfind("i-", 0) == 0) {
        InstanceState* st = z.Find(r);
        if (!st) throw ApiError{400, "InvalidInstanceID.NotFound", "The instance ID '" + r + "' does not exist"};
        targets.push_back(&st->tags);
      } else if (r.rfind("ami-", 0) == 0) {
        auto it = z.images.find(r);
        if (it == z.images.end() || it->second.deregistered)
          throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + r + "]' does not exist"};
        targets.push_back(&it->second.tags);
      } else {
        auto it = z.snapshots.find(r);
        if (it == z.snapshots.end() || it->second.deleted)
          throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + r + "' does not exist."};
        targets.push_back(&it->second.tags);
      }
    }
    // Check every limit before changing anything: CreateTags is all or nothing.
    for (auto* t : targets) {
      auto copy = *t;
      ApplyTags(copy, tags);
    }
    for (auto* t : targets) ApplyTags(*t, tags);
    std::string root = Header(op, ctx, x);
    x.Leaf("return", true).Close(root);
    return Ec2Xml(x.str());
  }

  if (op == "DeregisterImage") {
    std::string id = Get(p, "ImageId");
    if (id.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter imageId"};
    CheckId(id, "ami", "InvalidAMIID.Malformed", "");
    bool delete_snapshots = Get(p, "DeleteAssociatedSnapshots") == "true";
    Authorize(op, ctx);
    std::unique_lock<std::shared_mutex> lock(z.mu);
    auto it = z.images.find(id);
    if (it == z.images.end() || it->second.deregistered)
      throw ApiError{400, "InvalidAMIID.NotFound", "The image id '[" + id + "]' does not exist"};
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

  if (op == "DescribeSnapshots") {
    std::vector<std::string> ids = ListParam(p, "SnapshotId");
    std::vector<std::string> owners = ListParam(p, "Owner");
    std::vector<Filter> filters = FilterParams(p);
    CheckFilters(filters, {"snapshot-id", "status", "volume-id", "description", "owner-id", "volume-size", "progress"});
    int max = MaxResults(p, 5, 1000);
    if (max && !ids.empty())
      throw ApiError{400, "InvalidParameterCombination", "The parameter snapshotSet cannot be used with the parameter maxResults"};
    std::string start = StartKey(p);
    for (const auto& id : ids) CheckId(id, "snap", "InvalidSnapshotID.Malformed", "");
    Authorize(op, ctx);
    std::shared_lock<std::shared_mutex> lock(z.mu);
    for (const auto& id : ids) {
      auto it = z.snapshots.find(id);
      if (it == z.snapshots.end() || it->second.deleted)
        throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist."};
    }
    bool owner_ok = owners.empty();
    for (const auto& o : owners) owner_ok = owner_ok || o == "self" || o == account;
    std::string root = Header(op, ctx, x);
    x.Open("snapshotSet");
    std::string next;
    int count = 0;
    for (auto it = z.snapshots.lower_bound(start); owner_ok && it != z.snapshots.end(); ++it) {
      const Snapshot& s = it->second;
      if (s.deleted) continue;
      if (!ids.empty() && std::find(ids.begin(), ids.end(), s.id) == ids.end()) continue;
      std::string state = SnapshotState(s, ctx.now);
      int progress = state == "pending" ? static_cast<int>(99.0 * (ctx.now - s.started) / std::max(1e-9, s.ready - s.started)) : 100;
      if (state == "error") progress = 0;
      std::string progress_s = std::to_string(progress) + "%";
      bool match = true;
      for (const auto& f : filters) {
        bool m = false;
        if (TagFilter(f, s.tags, &m)) {
        } else if (f.name == "snapshot-id") m = MatchAny(f.values, s.id);
        else if (f.name == "status") m = MatchAny(f.values, state);
        else if (f.name == "volume-id") m = MatchAny(f.values, s.volume_id);
        else if (f.name == "description") m = MatchAny(f.values, s.description);
        else if (f.name == "owner-id") m = MatchAny(f.values, s.owner_id);
        else if (f.name == "volume-size") m = MatchAny(f.values, std::to_string(s.size_gb));
        else if (f.name == "progress") m = MatchAny(f.values, progress_s);
        match = match && m;
      }
      if (!match) continue;
      if (max && count == max) {
        next = s.id;
        break;
      }
      ++count;
      x.Open("item").Leaf("snapshotId", s.id).Leaf("volumeId", s.volume_id).Leaf("status", state);
      if (state == "error") x.Leaf("statusMessage", "Snapshot creation failed");
      x.Leaf("startTime", IsoMillis(SimToWall(s.started))).Leaf("progress", progress_s).Leaf("ownerId", s.owner_id);
      x.Leaf("volumeSize", s.size_gb).Leaf("description", s.description).Leaf("encrypted", false);
      WriteTags(x, s.tags);
      x.Leaf("storageTier", "standard");
      if (state == "completed") x.Leaf("completionTime", IsoMillis(SimToWall(s.ready)));
      x.Close("item");
    }
    x.Close("snapshotSet");
    if (!next.empty()) x.Leaf("nextToken", EncodeToken(next));
    x.Close(root);
    return Ec2Xml(x.str());
  }

  if (op == "DeleteSnapshot") {
    std::string id = Get(p, "SnapshotId");
    if (id.empty()) throw ApiError{400, "MissingParameter", "The request must contain the parameter snapshotId"};
    CheckId(id, "snap", "InvalidSnapshotID.Malformed", "");
    Authorize(op, ctx);
    std::unique_lock<std::shared_mutex> lock(z.mu);
    auto it = z.snapshots.find(id);
    if (it == z.snapshots.end() || it->second.deleted)
      throw ApiError{400, "InvalidSnapshot.NotFound", "The snapshot '" + id + "' does not exist."};
    if (!it->second.image_id.empty()) {
      auto img = z.images.find(it->second.image_id);
      if (img != z.images.end() && !img->second.deregistered)
        throw ApiError{400, "InvalidSnapshot.InUse", "The snapshot " + id + " is currently in use by " + img->first};
    }
    it->second.deleted = true;
    std::string root = Header(op, ctx, x);
    x.Leaf("return", true).Close(root);
    return Ec2Xml(x.str());
  }

  throw ApiError{400, "InvalidAction", "The action " + op + " is not valid for this web service."};
}

}  // namespace fleetpatch::emulator
