// EC2 Auto Scaling (AWS Query, API 2011-01-01): DescribeAutoScalingGroups,
// DescribeAutoScalingInstances, EnterStandby, ExitStandby, SuspendProcesses and ResumeProcesses
// over the fleet's groups, with AWS's lifecycle states (InService, EnteringStandby, Standby,
// Pending, Terminating, Terminated) and ValidationError answers. The group's health check
// replaces an unhealthy InService member (instance_health.h).
#include <fmt/format.h>

#include <algorithm>

#include "common/time_format.h"
#include "emulator/instance_health.h"
#include "emulator/service.h"

namespace fleetpatch::emulator {
namespace {

constexpr double kEnteringStandbyS = 30;
constexpr double kPendingS = 30;

ApiError ValidationError(const std::string& msg) { return {400, "ValidationError", msg}; }

void DenyIfReadOnly(const std::string& op, const CallContext& ctx) {
  if (ctx.identity->read_only)
    throw ApiError{403, "AccessDenied",
                   "User: " + ctx.identity->arn + " is not authorized to perform: autoscaling:" + op +
                       " because no identity-based policy allows the autoscaling:" + op + " action"};
}

AutoScalingGroup& FindGroup(Zone& z, const std::string& name) {
  if (name.empty())
    throw ValidationError(
        "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: "
        "Member must not be null");
  auto it = z.groups.find(name);
  if (it == z.groups.end())
    throw ValidationError("AutoScalingGroup name not found - AutoScalingGroup " + name + " not found");
  return it->second;
}

std::string Arn(const AutoScalingGroup& g) {
  return fmt::format("arn:aws:autoscaling:{}:{}:autoScalingGroup:{}:autoScalingGroupName/{}", g.spec->region,
                     g.spec->account_id, HashHex(g.spec->name, 8) + "-" + HashHex(g.spec->name + "/", 4),
                     g.spec->name);
}

// The group's members still in it at `now` (terminated ones have left).
std::vector<InstanceState*> Members(Zone& z, const std::string& group, double now) {
  std::vector<InstanceState*> out;
  for (auto& st : z.instances)
    if (st.spec->auto_scaling_group == group && LifecycleAt(st, now) != "Terminated") out.push_back(&st);
  return out;
}

void WriteMember(XmlWriter& x, const InstanceState& st, double now, bool with_group, bool upper_health) {
  bool unhealthy = UnhealthyAt(st, now);
  x.Open("member").Leaf("InstanceId", st.spec->id).Leaf("InstanceType", st.spec->instance_type);
  if (with_group) x.Leaf("AutoScalingGroupName", st.spec->auto_scaling_group);
  x.Leaf("AvailabilityZone", st.spec->availability_zone).Leaf("LifecycleState", LifecycleAt(st, now));
  x.Leaf("HealthStatus",
         upper_health ? (unhealthy ? "UNHEALTHY" : "HEALTHY") : (unhealthy ? "Unhealthy" : "Healthy"));
  x.Open("LaunchTemplate").Leaf("LaunchTemplateId", "lt-" + HashHex(st.spec->auto_scaling_group, 17));
  x.Leaf("LaunchTemplateName", st.spec->auto_scaling_group + "-template")
      .Leaf("Version", "1")
      .Close("LaunchTemplate");
  x.Leaf("ProtectedFromScaleIn", false).Close("member");
}

// The instances named in InstanceIds.member.N, each a member of `group` in `want` state.
std::vector<InstanceState*> Targets(Zone& z, const Params& p, const std::string& group, const char* want,
                                    double now) {
  std::vector<std::string> ids = ListParam(p, "InstanceIds.member");
  std::vector<InstanceState*> out;
  for (const auto& id : ids) {
    InstanceState* st = z.Find(id);
    if (!st || st->spec->auto_scaling_group != group || LifecycleAt(*st, now) == "Terminated")
      throw ValidationError("The instance " + id + " is not part of Auto Scaling group " + group + ".");
    if (LifecycleAt(*st, now) != want)
      throw ValidationError("The instance " + id + " is not in " + want + ".");
    out.push_back(st);
  }
  return out;
}

void WriteActivities(XmlWriter& x, Emulator::Impl& im, const AutoScalingGroup& g,
                     const std::vector<InstanceState*>& insts, const char* verb, const std::string& cause,
                     double now) {
  x.Open("Activities");
  for (const InstanceState* st : insts) {
    x.Open("member").Leaf("ActivityId", im.NewRequestId()).Leaf("AutoScalingGroupName", g.spec->name);
    x.Leaf("Description", std::string(verb) + " EC2 instance " +
                              (std::string(verb) == "Moving" ? "to Standby: " : "from Standby: ") +
                              st->spec->id);
    x.Leaf("Cause", "At " + FormatIso8601(im.SimToWall(now)) + " " + cause);
    x.Leaf("StartTime", FormatIso8601Millis(im.SimToWall(now)))
        .Leaf("StatusCode", "InProgress")
        .Leaf("Progress", 50);
    x.Leaf("Details", "{\"Subnet ID\":\"subnet-" + HashHex(st->spec->availability_zone, 8) +
                          "\",\"Availability Zone\":\"" + st->spec->availability_zone + "\"}");
    x.Leaf("AutoScalingGroupARN", Arn(g)).Close("member");
  }
  x.Close("Activities");
}

Response DescribeAutoScalingInstances(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  std::vector<std::string> ids = ListParam(in.params, "InstanceIds.member");
  if (ids.size() > 50) throw ValidationError("The number of instance ids that may be passed in is 50.");
  std::string max_s = Get(in.params, "MaxRecords");
  int max = max_s.empty() ? 50 : std::atoi(max_s.c_str());
  if (max < 1 || max > 50)
    throw ValidationError("Value " + max_s + " for MaxRecords must be between 1 and 50.");
  std::string start;
  if (std::string token = Get(in.params, "NextToken"); !token.empty() && !DecodeToken(token, &start))
    throw ApiError{400, "InvalidNextToken", "The token '" + token + "' is invalid."};
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  XmlWriter x;
  OpenQueryResult(x, AutoScalingService(), "DescribeAutoScalingInstances");
  x.Open("AutoScalingInstances");
  int count = 0;
  std::string next;
  for (const auto& st : z.instances) {
    if (st.spec->auto_scaling_group.empty() || st.spec->id < start ||
        LifecycleAt(st, ctx.now) == "Terminated")
      continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), st.spec->id) == ids.end()) continue;
    if (count == max) {
      next = st.spec->id;
      break;
    }
    ++count;
    WriteMember(x, st, ctx.now, true, true);
  }
  x.Close("AutoScalingInstances");
  if (!next.empty()) x.Leaf("NextToken", EncodeToken(next));
  return QueryReply(x, "DescribeAutoScalingInstances", ctx);
}

void WriteGroup(XmlWriter& x, Zone& z, const AutoScalingGroup& g, double now) {
  const AutoScalingGroupSpec& s = *g.spec;
  x.Open("member").Leaf("AutoScalingGroupName", s.name).Leaf("AutoScalingGroupARN", Arn(g));
  x.Open("LaunchTemplate")
      .Leaf("LaunchTemplateId", "lt-" + HashHex(s.name, 17))
      .Leaf("LaunchTemplateName", s.name + "-template");
  x.Leaf("Version", "1").Close("LaunchTemplate");
  x.Leaf("MinSize", s.min_size)
      .Leaf("MaxSize", s.max_size)
      .Leaf("DesiredCapacity", g.desired)
      .Leaf("DefaultCooldown", 300);
  x.Open("AvailabilityZones").Leaf("member", s.region + "a").Close("AvailabilityZones");
  x.Empty("LoadBalancerNames").Empty("TargetGroupARNs").Leaf("HealthCheckType", s.health_check_type);
  x.Leaf("HealthCheckGracePeriod", s.health_check_grace_period_s).Open("Instances");
  for (const InstanceState* st : Members(z, s.name, now)) WriteMember(x, *st, now, false, false);
  x.Close("Instances").Leaf("CreatedTime", "2024-01-15T08:00:00.000Z").Open("SuspendedProcesses");
  for (const auto& [name, reason] : g.suspended)
    x.Open("member").Leaf("ProcessName", name).Leaf("SuspensionReason", reason).Close("member");
  x.Close("SuspendedProcesses")
      .Open("TerminationPolicies")
      .Leaf("member", "Default")
      .Close("TerminationPolicies");
  x.Leaf("NewInstancesProtectedFromScaleIn", false).Leaf("CapacityRebalance", false).Close("member");
}

Response DescribeAutoScalingGroups(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  std::vector<std::string> names = ListParam(in.params, "AutoScalingGroupNames.member");
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::shared_lock<std::shared_mutex> lock(z.mu);
  XmlWriter x;
  OpenQueryResult(x, AutoScalingService(), "DescribeAutoScalingGroups");
  x.Open("AutoScalingGroups");
  for (const auto& [name, g] : z.groups)
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end())
      WriteGroup(x, z, g, ctx.now);
  x.Close("AutoScalingGroups");
  return QueryReply(x, "DescribeAutoScalingGroups", ctx);
}

Response EnterStandby(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  std::string decrement = Get(in.params, "ShouldDecrementDesiredCapacity");
  std::string name = Get(in.params, "AutoScalingGroupName");
  if (decrement.empty())
    throw ValidationError(
        "1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy "
        "constraint: Member must not be null");
  DenyIfReadOnly("EnterStandby", ctx);
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  AutoScalingGroup& g = FindGroup(z, name);
  std::vector<InstanceState*> insts = Targets(z, in.params, name, "InService", ctx.now);
  int n = static_cast<int>(insts.size());
  if (decrement == "true" && g.desired - n < g.spec->min_size)
    throw ValidationError(fmt::format(
        "AutoScalingGroup {} has min-size={}, max-size={}, and desired-size={}. To place into standby {} "
        "instance(s), please update the AutoScalingGroup sizes appropriately.",
        name, g.spec->min_size, g.spec->max_size, g.desired, n));
  int before = g.desired;
  if (decrement == "true") g.desired -= n;
  for (InstanceState* st : insts) {
    st->lifecycle = "Standby";
    st->transition = "EnteringStandby";
    st->transition_until = ctx.now + kEnteringStandbyS;
    if (st->terminate_at > ctx.now) st->terminate_at = kNever;  // out of service: no health replacement
  }
  XmlWriter x;
  OpenQueryResult(x, AutoScalingService(), "EnterStandby");
  WriteActivities(x, im, g, insts, "Moving",
                  fmt::format("an instance was moved to standby in response to a user request, shrinking the "
                              "capacity from {} to {}.",
                              before, g.desired),
                  ctx.now);
  return QueryReply(x, "EnterStandby", ctx);
}

Response ExitStandby(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  std::string name = Get(in.params, "AutoScalingGroupName");
  DenyIfReadOnly("ExitStandby", ctx);
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  AutoScalingGroup& g = FindGroup(z, name);
  std::vector<InstanceState*> insts = Targets(z, in.params, name, "Standby", ctx.now);
  int n = static_cast<int>(insts.size());
  if (g.desired + n > g.spec->max_size)
    throw ValidationError(fmt::format(
        "AutoScalingGroup {} has min-size={}, max-size={}, and desired-size={}. To exit standby {} "
        "instance(s), please update the AutoScalingGroup sizes appropriately.",
        name, g.spec->min_size, g.spec->max_size, g.desired, n));
  int before = g.desired;
  g.desired += n;
  for (InstanceState* st : insts) {
    st->lifecycle = "InService";
    st->transition = "Pending";
    st->transition_until = ctx.now + kPendingS;
    ScheduleHealthReplacement(z, *st, ctx.now + kPendingS);
  }
  XmlWriter x;
  OpenQueryResult(x, AutoScalingService(), "ExitStandby");
  WriteActivities(x, im, g, insts, "Moving",
                  fmt::format("an instance was removed from standby in response to a user request, "
                              "increasing the capacity from {} to {}.",
                              before, g.desired),
                  ctx.now);
  return QueryReply(x, "ExitStandby", ctx);
}

// SuspendProcesses / ResumeProcesses: ScalingProcesses.member.N, or every process when none.
Response ChangeProcesses(Emulator::Impl& im, const OpInput& in, CallContext& ctx, bool suspend) {
  const char* op = suspend ? "SuspendProcesses" : "ResumeProcesses";
  std::string name = Get(in.params, "AutoScalingGroupName");
  std::vector<std::string> processes = ListParam(in.params, "ScalingProcesses.member");
  for (const auto& p : processes)
    if (!IsScalingProcess(p)) throw ValidationError("Process '" + p + "' is not a valid scaling process.");
  if (processes.empty())
    processes = {"Launch",      "Terminate",       "AddToLoadBalancer", "AlarmNotification", "AZRebalance",
                 "HealthCheck", "InstanceRefresh", "ReplaceUnhealthy",  "ScheduledActions"};
  DenyIfReadOnly(op, ctx);
  Zone& z = im.ZoneFor(ctx.identity->account_id, ctx.region);
  std::unique_lock<std::shared_mutex> lock(z.mu);
  AutoScalingGroup& g = FindGroup(z, name);
  for (const auto& p : processes) {
    if (suspend)
      g.suspended[p] = "User suspended at " + FormatIso8601(im.SimToWall(ctx.now));
    else
      g.suspended.erase(p);
  }
  bool checks_off = g.suspended.count("HealthCheck") || g.suspended.count("ReplaceUnhealthy");
  for (InstanceState* st : Members(z, name, ctx.now)) {
    if (suspend && checks_off && st->terminate_at > ctx.now) st->terminate_at = kNever;
    if (!suspend) ScheduleHealthReplacement(z, *st, ctx.now);
  }
  XmlWriter x;
  OpenQueryResult(x, AutoScalingService(), op, false);
  return QueryReply(x, op, ctx, false);
}

Response SuspendProcesses(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  return ChangeProcesses(im, in, ctx, true);
}
Response ResumeProcesses(Emulator::Impl& im, const OpInput& in, CallContext& ctx) {
  return ChangeProcesses(im, in, ctx, false);
}

}  // namespace

const Service& AutoScalingService() {
  static const Service kAutoScaling = [] {
    Service s{"autoscaling",
              Protocol::kQuery,
              "2011-01-01",
              "http://autoscaling.amazonaws.com/doc/2011-01-01/",
              "",
              QueryProtocolErrors("InternalFailure"),
              {}};
    s.operations = {
        {"DescribeAutoScalingGroups", DescribeAutoScalingGroups, false, "autoscaling"},
        {"DescribeAutoScalingInstances", DescribeAutoScalingInstances, false, "autoscaling"},
        {"EnterStandby", EnterStandby, true, "autoscaling"},
        {"ExitStandby", ExitStandby, true, "autoscaling"},
        {"SuspendProcesses", SuspendProcesses, true, "autoscaling"},
        {"ResumeProcesses", ResumeProcesses, true, "autoscaling"},
    };
    return s;
  }();
  return kAutoScaling;
}

}  // namespace fleetpatch::emulator
