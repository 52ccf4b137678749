// ZoneAutoScaling: one landing zone's Auto Scaling handling around its patches
// (patch.auto_scaling, docs/safety.md#auto-scaling-groups), so that a group never replaces an
// instance while it is patched and rebooted:
//  - standby: EnterStandby (ShouldDecrementDesiredCapacity=true) before an instance's patch,
//    ExitStandby once its work is finished and known good (asg_plan.h ShouldExitStandby); an
//    instance that is not known good is left in Standby and recorded left_in_standby;
//  - suspend: SuspendProcesses (HealthCheck, ReplaceUnhealthy, AZRebalance) before the first
//    patch of a group in this zone, ResumeProcesses once none of its instances is left to patch;
//  - skip: members are ineligible (the scan already says so; a member found here is skipped).
// Every change is recorded in the state store BEFORE the call that makes it (in_standby,
// group_suspended), so a crash or Ctrl-C never silently leaves an instance in Standby or a group
// suspended: RestoreLeftBehind() (a resumed run) puts back whatever the records say, checked
// against DescribeAutoScalingInstances, and the reports list anything still in that state.
//
// The pipeline calls BeforePatch() with each wave share and Finished() when an instance's work in
// this run is over: after its patch today; after its postcheck or rollback once those phases exist
// (the hook is ZonePipeline::OnInstancesFinished). Instances that never reach a patch (blocked,
// stopped) are handed to Dropped() so that a suspended group is resumed after its last one.
// Not thread-safe: the zone's thread owns it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "workflow/asg_plan.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

// An instance taken out of a wave before its patch, with the reason recorded as its skipped patch.
struct AsgBlocked {
  std::string instance_id;
  std::string reason;
};

class ZoneAutoScaling {
 public:
  // `instances`: the zone's eligible instances with their records (standby included), also those
  // whose patch is over (an earlier attempt may have left their group suspended).
  ZoneAutoScaling(const ZoneContext& ctx, const std::vector<InstanceRun>& instances);

  // Learns the group of every member (one DescribeAutoScalingInstances for the tagged instances)
  // and, for a resumed run, restores what an earlier attempt left: instances recorded in_standby
  // whose patch is not in flight exit Standby (those still queued enter it again with their wave),
  // suspended groups without a patch in flight are resumed. An error is the store's or AWS's (the
  // zone then records it and patches nothing of the groups it could not check).
  Status Start(const std::set<std::string>& in_flight);

  // Before `batch` is patched: puts the members in Standby or suspends their groups. Returns the
  // instances that may be patched now; `blocked` gets the others (ineligible lifecycle state, skip
  // mode, or the Auto Scaling call failed: never patched unprotected). Errors are the store's.
  Result<std::vector<InstanceRun>> BeforePatch(std::vector<InstanceRun> batch, std::vector<AsgBlocked>* blocked);

  // Instances whose work in this run is over (their records with the results so far): each one this
  // run put in Standby exits Standby when ShouldExitStandby(), else it is recorded left_in_standby;
  // a suspended group whose last instance is over is resumed. An AWS error is recorded on the
  // instance (it stays in_standby, for --resume) and journalled; an error returned is the store's.
  Status Finished(const std::vector<InstanceRun>& runs);
  // Instances of the zone that will not be patched in this run (blocked, stopped, window closed).
  Status Dropped(const std::vector<std::string>& instance_ids);

  // The group of an instance ("" when it is in none, or the membership is not known).
  std::string GroupOf(const std::string& instance_id) const;

 private:
  using Grouped = std::map<std::string, std::vector<InstanceRun>>;  // group -> members
  Status Record(const std::string& id, const StandbyResult& s);
  Status Protect(Grouped standby, Grouped suspend, std::vector<InstanceRun>* go, std::vector<AsgBlocked>* blocked);
  StandbyResult Base(const std::string& id) const;
  Status EnterStandby(const std::string& group, std::vector<InstanceRun>& members, std::vector<AsgBlocked>* blocked);
  Status SuspendGroup(const std::string& group, const std::vector<InstanceRun>& members);
  Status ExitStandby(const std::string& group, const std::vector<std::string>& ids);
  Status ResumeGroupIfDone(const std::string& group);
  Status RestoreStandby(const std::set<std::string>& in_flight);

  const ZoneContext& ctx_;
  std::map<std::string, std::optional<StandbyResult>> records_;  // instance -> its standby record, if any
  std::vector<std::string> tagged_;                              // instances tagged as group members
  std::set<std::string> to_patch_;                               // members whose patch is not over
  std::map<std::string, std::string> patched_;                   // instance -> its ended patch's status
  std::map<std::string, std::string> group_of_;                  // instance -> group
  std::map<std::string, std::set<std::string>> open_;            // group -> instances not over yet
  std::set<std::string> suspended_;                              // groups suspended by this run
};

}  // namespace fleetpatch::workflow
