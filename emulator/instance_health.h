// An instance's state over simulated time, derived on read from what was recorded when it was
// set in motion (reboots as Outages, a termination by its Auto Scaling group, a root volume
// replacement): its EC2 state, status checks, SSM agent, critical services and Auto Scaling
// lifecycle. Also the group health check that replaces an unhealthy InService member.
// Thread-safety: callers hold the zone's lock (shared for the reads, exclusive for the schedulers).
#pragma once

#include <map>
#include <string>

#include "emulator/emulator_impl.h"

namespace fleetpatch::emulator {

// running, ..., or shutting-down / terminated once its group terminates it.
std::string StateAt(const InstanceState& st, double now);

struct StatusChecks {
  std::string instance = "ok";          // ok | impaired | initializing | not-applicable
  std::string system = "ok";            // ok | not-applicable
  std::string reachability = "passed";  // passed | failed | initializing | not-applicable
  double impaired_since = 0;
};
StatusChecks StatusAt(const InstanceState& st, double now);

// The SSM agent is disconnected by an outage (a reboot, or an instance that never came back).
bool AgentDownAt(const InstanceState& st, double now);

// The host's services at `now`: the spec's, with the post-patch failures while they last.
std::map<std::string, std::string> ServicesAt(const InstanceState& st, double now);

// Auto Scaling: the lifecycle state (InService, EnteringStandby, Standby, Pending, Terminating,
// Terminated) and HEALTHY / UNHEALTHY.
std::string LifecycleAt(const InstanceState& st, double now);
bool UnhealthyAt(const InstanceState& st, double now);

// Records a reboot starting at `start` with the spec's timings (never_returns: it does not come
// back), then lets the group health check react.
void RecordReboot(Zone& z, InstanceState& st, double start, bool never_returns);
// The group health check from `from` on: an InService member whose status is not ok for the
// group's replace_unhealthy_after_s, with HealthCheck and ReplaceUnhealthy not suspended, is
// terminated then. No-op for an instance in no group.
void ScheduleHealthReplacement(Zone& z, InstanceState& st, double from);

}  // namespace fleetpatch::emulator
