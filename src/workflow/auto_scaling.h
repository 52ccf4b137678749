// ZoneAutoScaling: one landing zone's Auto Scaling handling around its patches
// (patch.auto_scaling, docs/safety.md#auto-scaling-groups), so that a group never replaces an
// instance while it is patched and rebooted:
//  - standby: EnterStandby (ShouldDecrementDesiredCapacity=true) before an instance's patch, which
//    is sent only once Auto Scaling shows the instance Standby (not EnteringStandby: its group's
//    health check may still act then; AWS-PatchAsgInstance waits too), within
//    workflow.timeouts.standby; ExitStandby once its work is finished and known good
//    (asg_plan.h ShouldExitStandby); an instance that is not known good is left in Standby and
//    recorded left_in_standby;
//  - suspend: SuspendProcesses (HealthCheck, ReplaceUnhealthy, AZRebalance) before the first
//    patch of a group, ResumeProcesses once none of its instances is left to patch anywhere in the
//    run (GroupSuspensions: a group may have members in two zones of one account and region);
//  - skip: members are ineligible (the scan already says so; a member found here is skipped).
// Every change is recorded in the state store BEFORE the call that makes it (in_standby,
// group_suspended), so a crash or Ctrl-C never silently leaves an instance in Standby or a group
// suspended: RestoreLeftBehind() (a resumed run) puts back whatever the records say, checked
// against DescribeAutoScalingInstances, and the reports list anything still in that state.
//
// The pipeline calls BeforePatch() with each wave share, TakeInStandby() whenever NextCheck() has
// come, and Finished() when an instance's work in this run is over: after its postcheck and any
// rollback (the hook is ZonePipeline::OnInstancesFinished). Instances that never reach a patch
// (blocked, stopped) are handed to Dropped() so that a suspended group is resumed after its last
// one. SettleZoneStandby() applies the same rule after a run's postcheck and rollback outside the
// pipeline (a resumed run catching up, `fleetpatch rollback`).
// Not thread-safe: the zone's thread owns it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "workflow/asg_plan.h"
#include "workflow/group_suspensions.h"
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
  // `checks_follow`: this run still checks its patched instances after the rollout (a full run:
  // the postcheck, and with patch.rollback: auto the rollback), so --resume leaves an instance in
  // Standby whose check or rollback is still to come, for SettleZoneStandby() after them.
  // `groups`: the run's suspended groups and open members, shared by its zones; nullptr: this
  // zone's own (seeded with its members by Start()).
  ZoneAutoScaling(const ZoneContext& ctx, const std::vector<InstanceRun>& instances, bool checks_follow,
                  std::shared_ptr<GroupSuspensions> groups = nullptr);

  // Learns the group of every member (one DescribeAutoScalingInstances for the tagged instances)
  // and, for a resumed run, restores what an earlier attempt left: instances recorded in_standby
  // whose patch is not in flight go by the live run's rule (StandbyExitFor): back to InService when
  // known good or never patched (those still queued enter Standby again with their wave), else
  // left_in_standby, or left as they are while their postcheck or rollback is still to come;
  // suspended groups without a patch in flight are resumed. An error is the store's or AWS's (the
  // zone then records it and patches nothing of the groups it could not check).
  Status Start(const std::set<std::string>& in_flight);

  // Before `batch` is patched: puts the members in Standby or suspends their groups. Returns the
  // instances that may be patched now; `blocked` gets the others (ineligible lifecycle state, skip
  // mode, or the Auto Scaling call failed: never patched unprotected). Members put in Standby are
  // neither: they wait for TakeInStandby(). Errors are the store's.
  Result<std::vector<InstanceRun>> BeforePatch(std::vector<InstanceRun> batch,
                                               std::vector<AsgBlocked>* blocked);
  // When NextCheck() has come: one DescribeAutoScalingInstances for the members waiting since their
  // EnterStandby. Returns those Auto Scaling now shows Standby (to patch now); `blocked` gets those
  // still EnteringStandby after workflow.timeouts.standby, or found in another state: never
  // patched. Their record stays in_standby with the reason, so --resume puts them back in service
  // once they are in Standby. Does nothing once cancelled (they stay queued for --resume). Errors
  // are the store's.
  Result<std::vector<InstanceRun>> TakeInStandby(std::vector<AsgBlocked>* blocked);
  // When the members waiting for Standby are next checked; nullopt when none waits.
  std::optional<SteadyTime> NextCheck() const;

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
  // What an instance's patch, postcheck and rollback say, for the Standby rule on --resume.
  struct Outcome {
    std::string patch, postcheck, rollback;  // status names; "" when none
    bool rollback_needed = false;            // RollbackNeed(): patch.rollback: auto would roll it back
  };
  enum class StandbyExit { kExit, kLeave, kLater };
  StandbyExit StandbyExitFor(const std::string& id) const;
  struct Entering {
    InstanceRun run;
    SteadyTime deadline;  // workflow.timeouts.standby after EnterStandby
  };
  void WaitForStandby(InstanceRun r);
  Status NotInStandby(const std::string& id, const std::string& why, std::vector<AsgBlocked>* blocked);
  using Grouped = std::map<std::string, std::vector<InstanceRun>>;  // group -> members
  Status Record(const std::string& id, const StandbyResult& s);
  Status Protect(Grouped standby, Grouped suspend, std::vector<InstanceRun>* go,
                 std::vector<AsgBlocked>* blocked);
  StandbyResult Base(const std::string& id) const;
  Status EnterStandby(const std::string& group, std::vector<InstanceRun>& members,
                      std::vector<AsgBlocked>* blocked);
  Status SuspendGroup(const std::string& group, const std::vector<InstanceRun>& members);
  Status ExitStandby(const std::string& group, const std::vector<std::string>& ids);
  Status ResumeGroupIfDone(const std::string& group);
  std::string Key(const std::string& group) const;  // GroupKey in this zone's account and region
  Status RestoreStandby(const std::set<std::string>& in_flight);

  const ZoneContext& ctx_;
  const bool checks_follow_;
  std::map<std::string, std::optional<StandbyResult>> records_;  // instance -> its standby record, if any
  std::vector<std::string> tagged_;                              // instances tagged as group members
  std::set<std::string> to_patch_;                               // members whose patch is not over
  std::map<std::string, Outcome> patched_;                       // instance -> its ended patch and checks
  std::map<std::string, std::string> group_of_;                  // instance -> group
  std::shared_ptr<GroupSuspensions> groups_;                     // suspended groups, members not over yet
  std::vector<Entering> entering_;  // EnterStandby answered, not seen Standby yet
  PollSchedule standby_poll_;
};

// After the postcheck and rollback a run made outside its pipeline (a resumed full run catching
// up, `--workflow postcheck`, `fleetpatch rollback`): each of `runs` (one zone's records) that this
// run put in Standby, or left there, goes by the live run's rule: ExitStandby after a healthy
// postcheck or a rollback that succeeded, else left_in_standby. A rollback still in flight leaves
// it as it is. Errors are the store's or AWS's.
Status SettleZoneStandby(const ZoneContext& ctx, std::vector<InstanceRun> runs);

}  // namespace fleetpatch::workflow
