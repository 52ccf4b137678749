#include "emulator/instance_health.h"

#include <algorithm>

namespace fleetpatch::emulator {
namespace {

constexpr double kTerminatingS = 60;  // shutting-down / Terminating before terminated

// The outage ended for good by a root volume replacement finished after it started.
bool RestoredAfter(const InstanceState& st, const Outage& o, double now) {
  return st.restored_at <= now && st.restored_at > o.start;
}

}  // namespace

std::string StateAt(const InstanceState& st, double now) {
  if (now >= st.terminate_at + kTerminatingS) return "terminated";
  if (now >= st.terminate_at) return "shutting-down";
  return st.state;
}

StatusChecks StatusAt(const InstanceState& st, double now) {
  StatusChecks c;
  if (StateAt(st, now) != "running") return {"not-applicable", "not-applicable", "not-applicable", 0};
  if (st.spec->status_impaired) return {"impaired", "ok", "failed", -600};
  for (const Outage& o : st.outages) {
    if (now < o.start || RestoredAfter(st, o, now)) continue;
    if (o.status_ok == kNever) return {"impaired", "ok", "failed", o.start};
    if (now < o.status_ok) c = {"initializing", "ok", "initializing", 0};
  }
  return c;
}

bool AgentDownAt(const InstanceState& st, double now) {
  for (const Outage& o : st.outages)
    if (now >= o.start && now < o.agent_back && !RestoredAfter(st, o, now)) return true;
  return false;
}

std::map<std::string, std::string> ServicesAt(const InstanceState& st, double now) {
  std::map<std::string, std::string> services = st.spec->services;
  bool broken = st.broken_at <= now && !(st.restored_at <= now && st.restored_at >= st.broken_at);
  if (broken)
    for (const auto& name : st.spec->post_patch_failed_services) services[name] = "failed";
  return services;
}

std::string LifecycleAt(const InstanceState& st, double now) {
  if (now >= st.terminate_at) return now < st.terminate_at + kTerminatingS ? "Terminating" : "Terminated";
  if (now < st.transition_until) return st.transition;
  return st.lifecycle;
}

bool UnhealthyAt(const InstanceState& st, double now) { return now >= st.terminate_at; }

void RecordReboot(Zone& z, InstanceState& st, double start, bool never_returns) {
  const RebootSpec& r = st.spec->reboot;
  Outage o;
  o.start = start;
  o.agent_back = never_returns ? kNever : start + r.duration_s;
  o.status_ok = never_returns ? kNever : start + r.status_initializing_s;
  st.outages.push_back(o);
  ScheduleHealthReplacement(z, st, start);
}

void ScheduleHealthReplacement(Zone& z, InstanceState& st, double from) {
  auto g = z.groups.find(st.spec->auto_scaling_group);
  if (st.spec->auto_scaling_group.empty() || g == z.groups.end()) return;
  if (g->second.suspended.count("HealthCheck") || g->second.suspended.count("ReplaceUnhealthy")) return;
  double after = g->second.spec->replace_unhealthy_after_s;
  for (const Outage& o : st.outages) {
    double check = std::max(o.start, from) + after;
    if (check >= o.status_ok || LifecycleAt(st, check) != "InService") continue;
    if (st.restored_at > o.start && st.restored_at <= check) continue;
    st.terminate_at = std::min(st.terminate_at, check);
  }
}

}  // namespace fleetpatch::emulator
