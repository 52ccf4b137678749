// EC2 DescribeInstances and DescribeInstanceStatus.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "common/time_format.h"
#include "emulator/ec2_common.h"
#include "emulator/instance_health.h"

namespace fleetpatch::emulator {
namespace {

void WriteInstance(XmlWriter& x, const InstanceState& st, const std::string& owner, double now) {
  const InstanceSpec& s = *st.spec;
  const std::string state = StateAt(st, now);
  bool windows = s.platform == "windows";
  std::string ip_dns = s.private_ip;
  std::replace(ip_dns.begin(), ip_dns.end(), '.', '-');
  std::string private_dns =
      "ip-" + ip_dns + "." +
      (s.region == "us-east-1" ? std::string("ec2.internal") : s.region + ".compute.internal");
  x.Open("item").Leaf("instanceId", s.id).Leaf("imageId", s.image_id);
  x.Open("instanceState").Leaf("code", StateCode(state)).Leaf("name", state).Close("instanceState");
  x.Leaf("privateDnsName", state == "terminated" ? "" : private_dns).Leaf("dnsName", "");
  x.Leaf("reason", state == "stopped" ? "User initiated (2024-01-15 09:30:00 GMT)" : "");
  x.Leaf("amiLaunchIndex", 0).Empty("productCodes").Leaf("instanceType", s.instance_type);
  x.Leaf("launchTime", "2024-01-15T08:00:00.000Z");
  x.Open("placement")
      .Leaf("availabilityZone", s.availability_zone)
      .Leaf("groupName", "")
      .Leaf("tenancy", "default")
      .Close("placement");
  if (windows) x.Leaf("platform", "windows");
  x.Open("monitoring").Leaf("state", "disabled").Close("monitoring");
  if (state != "terminated") {
    x.Leaf("subnetId", "subnet-" + s.account_id.substr(4) + "a1b2c")
        .Leaf("vpcId", "vpc-" + s.account_id.substr(4) + "0f1e");
    x.Leaf("privateIpAddress", s.private_ip);
  }
  x.Leaf("sourceDestCheck", true);
  x.Open("groupSet")
      .Open("item")
      .Leaf("groupId", "sg-" + s.account_id.substr(4) + "9d8c7")
      .Leaf("groupName", "fleet-default")
      .Close("item")
      .Close("groupSet");
  if (state == "stopped")
    x.Open("stateReason")
        .Leaf("code", "Client.UserInitiatedShutdown")
        .Leaf("message", "Client.UserInitiatedShutdown: User initiated shutdown")
        .Close("stateReason");
  x.Leaf("architecture", "x86_64")
      .Leaf("rootDeviceType", s.root_device_type)
      .Leaf("rootDeviceName", windows ? "/dev/sda1" : "/dev/xvda");
  x.Open("blockDeviceMapping");
  for (size_t i = 0; i < s.disks.size() && state != "terminated"; ++i) {
    x.Open("item").Leaf("deviceName", DeviceName(s.platform, i)).Open("ebs");
    x.Leaf("volumeId", i == 0 ? st.root_volume_id : VolumeId(s.id, i)).Leaf("status", "attached");
    x.Leaf("attachTime", "2024-01-15T08:00:05.000Z")
        .Leaf("deleteOnTermination", i == 0)
        .Close("ebs")
        .Close("item");
  }
  x.Close("blockDeviceMapping");
  x.Leaf("virtualizationType", "hvm").Leaf("clientToken", "");
  WriteTags(x, st.tags);
  x.Leaf("hypervisor", "xen").Leaf("ebsOptimized", false).Leaf("enaSupport", true);
  x.Open("iamInstanceProfile")
      .Leaf("arn", "arn:aws:iam::" + owner + ":instance-profile/SSMManagedInstance")
      .Leaf("id", "AIPA" + s.account_id + "EXAMPLE")
      .Close("iamInstanceProfile");
  x.Open("cpuOptions")
      .Leaf("coreCount", std::max(1, s.cpus / 2))
      .Leaf("threadsPerCore", s.cpus > 1 ? 2 : 1)
      .Close("cpuOptions");
  x.Open("metadataOptions")
      .Leaf("state", "applied")
      .Leaf("httpTokens", "required")
      .Leaf("httpPutResponseHopLimit", 2)
      .Leaf("httpEndpoint", "enabled")
      .Close("metadataOptions");
  x.Leaf("platformDetails", windows ? "Windows" : "Linux/UNIX")
      .Leaf("usageOperation", windows ? "RunInstances:0002" : "RunInstances:0000");
  x.Leaf("bootMode", windows ? "legacy-bios" : "uefi");
  x.Close("item");
}

bool InstanceMatches(const InstanceState& st, const std::vector<Filter>& filters, double now) {
  const InstanceSpec& s = *st.spec;
  const std::string state = StateAt(st, now);
  for (const auto& f : filters) {
    bool match = false;
    if (TagFilter(f, st.tags, &match)) {
    } else if (f.name == "instance-state-name") {
      match = MatchAny(f.values, state);
    } else if (f.name == "instance-state-code") {
      match = MatchAny(f.values, std::to_string(StateCode(state)));
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

const std::set<std::string> kInstanceFilters = {
    "instance-state-name", "instance-state-code", "instance-id", "platform",          "platform-details",
    "availability-zone",   "instance-type",       "image-id",    "private-ip-address"};

// The instances a Describe call selects (ids or all from the page start), filtered, one page.
struct Page {
  std::vector<const InstanceState*> items;
  std::string next;
};

Page SelectInstances(const Zone& z, const Params& p, const std::vector<Filter>& filters, bool status,
                     double now) {
  std::vector<std::string> ids = ListParam(p, "InstanceId");
  int max = MaxResults(p, 5, 1000);
  std::string start = StartKey(p);
  bool include_all = Get(p, "IncludeAllInstances") == "true";
  std::vector<const InstanceState*> candidates;
  if (!ids.empty()) {
    candidates = ResolveInstances(z, ids);
  } else {
    auto it = std::lower_bound(z.instances.begin(), z.instances.end(), start,
                               [](const InstanceState& s, const std::string& k) { return s.spec->id < k; });
    for (; it != z.instances.end(); ++it) candidates.push_back(&*it);
  }
  Page page;
  for (const InstanceState* st : candidates) {
    if (!InstanceMatches(*st, filters, now)) continue;
    if (status) {
      if (StateAt(*st, now) != "running" && !include_all) continue;
      StatusChecks c = StatusAt(*st, now);
      bool skip = false;
      for (const auto& f : filters) {
        if (f.name == "instance-status.status") skip = skip || !MatchAny(f.values, c.instance);
        if (f.name == "system-status.status") skip = skip || !MatchAny(f.values, c.system);
      }
      if (skip) continue;
    }
    if (max && static_cast<int>(page.items.size()) == max) {
      page.next = st->spec->id;
      break;
    }
    page.items.push_back(st);
  }
  return page;
}

// Validation shared by both operations; returns the filters.
std::vector<Filter> CheckDescribe(const std::string& op, const Params& p, const CallContext& ctx,
                                  bool status) {
  std::vector<Filter> filters = FilterParams(p);
  int max = MaxResults(p, 5, 1000);
  if (max && !ListParam(p, "InstanceId").empty())
    throw ApiError{400, "InvalidParameterCombination",
                   "The parameter instancesSet cannot be used with the parameter maxResults"};
  std::set<std::string> names = kInstanceFilters;
  if (status) names.insert({"instance-status.status", "system-status.status"});
  CheckFilters(filters, names);
  StartKey(p);
  Authorize(op, ctx);
  return filters;
}

void WriteStatus(XmlWriter& x, const Emulator::Impl& im, const InstanceState& st, double now) {
  const InstanceSpec& s = *st.spec;
  const std::string state = StateAt(st, now);
  StatusChecks c = StatusAt(st, now);
  x.Open("item").Leaf("instanceId", s.id).Leaf("availabilityZone", s.availability_zone);
  x.Open("instanceState").Leaf("code", StateCode(state)).Leaf("name", state).Close("instanceState");
  x.Open("systemStatus")
      .Leaf("status", c.system)
      .Open("details")
      .Open("item")
      .Leaf("name", "reachability")
      .Leaf("status", c.system == "ok"               ? "passed"
                      : c.system == "not-applicable" ? "not-applicable"
                                                     : c.system)
      .Close("item")
      .Close("details")
      .Close("systemStatus");
  x.Open("instanceStatus")
      .Leaf("status", c.instance)
      .Open("details")
      .Open("item")
      .Leaf("name", "reachability")
      .Leaf("status", c.reachability);
  if (c.reachability == "failed")
    x.Leaf("impairedSince", FormatIso8601Millis(im.SimToWall(c.impaired_since)));
  x.Close("item").Close("details").Close("instanceStatus");
  x.Open("attachedEbsStatus").Leaf("status", c.system).Close("attachedEbsStatus");
  x.Close("item");
}

}  // namespace

Response DescribeInstances(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  const std::string& account = ctx.identity->account_id;
  std::vector<Filter> filters = CheckDescribe("DescribeInstances", in.params, ctx, false);
  Zone& z = im.ZoneFor(account, ctx.region);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  Page page = SelectInstances(z, in.params, filters, false, ctx.now);
  XmlWriter x;
  std::string root = Header("DescribeInstances", ctx, x);
  x.Open("reservationSet");
  for (const InstanceState* st : page.items) {
    x.Open("item").Leaf("reservationId", "r-" + st->spec->id.substr(2)).Leaf("ownerId", account);
    x.Empty("groupSet").Open("instancesSet");
    WriteInstance(x, *st, account, ctx.now);
    x.Close("instancesSet").Close("item");
  }
  x.Close("reservationSet");
  if (!page.next.empty()) x.Leaf("nextToken", EncodeToken(page.next));
  x.Close(root);
  return Ec2Xml(x.str());
}

Response DescribeInstanceStatus(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  std::vector<Filter> filters = CheckDescribe("DescribeInstanceStatus", in.params, ctx, true);
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  Page page = SelectInstances(z, in.params, filters, true, ctx.now);
  XmlWriter x;
  std::string root = Header("DescribeInstanceStatus", ctx, x);
  x.Open("instanceStatusSet");
  for (const InstanceState* st : page.items) WriteStatus(x, im, *st, ctx.now);
  x.Close("instanceStatusSet");
  if (!page.next.empty()) x.Leaf("nextToken", EncodeToken(page.next));
  x.Close(root);
  return Ec2Xml(x.str());
}

}  // namespace fleetpatch::emulator
