// The rollback of one landing zone (docs/safety.md): each instance's root volume is replaced from
// its pre-patch AMI of this run with EC2 CreateReplaceRootVolumeTask, which keeps the instance id,
// its network interfaces, private IPs and data volumes; then the postcheck runs again.
//
// Before anything is touched, rollback_logic.h decides from fresh reads (DescribeInstances for the
// root device type, DescribeImages for the AMI, DescribeSnapshots for its snapshots) that the AMI
// is provably this run's backup of this instance: owner, source instance, run tag, name, every
// snapshot owned. Otherwise the instance is rollback_ineligible (or rollback_unsupported for an
// instance-store root) and never touched.
//
// State transitions (docs/pipeline.md): none | ineligible | failed -> rollback_in_progress (saved
// with the task id, before any wait) -> rolled_back | rollback_failed. A resumed run finds the task
// id and watches that task; the replacement is also sent with a token derived from the run and
// instance, so a crash between the call and the save gets the first task back. The wait is
// bounded by workflow.timeouts.patch_execution. A dry run verifies and plans only.
//
// Driven by a zone loop: Step() whenever NextCheck() has come, until Done().
// Not thread-safe: one zone thread owns it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "workflow/postcheck.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

class ZoneRollback {
 public:
  // `todo`: the instances to roll back, each with `reason` (why; kept in the result), with their
  // backup and precheck (output included) of this run. `automatic`: patch.rollback: auto.
  ZoneRollback(const ZoneContext& ctx, std::vector<std::pair<InstanceRun, std::string>> todo, bool automatic);
  ~ZoneRollback();

  // Does what is due now. An error is the zone's (a failed lookup or store write): Done() is then
  // true, every rollback without an end ends rollback_failed with the error (in memory only:
  // replacements already started stay recorded in progress for --resume).
  Status Step();
  std::optional<SteadyTime> NextCheck() const;
  bool Done() const { return done_; }
  // The rollbacks that ended since the last call (instance id, result), in the order they ended.
  std::vector<std::pair<std::string, RollbackResult>> TakeEnded();

 private:
  struct Item {
    InstanceRun run;
    RollbackResult result;
    SteadyTime started;
  };
  Status Verify();
  Status Start(Item& item);
  Status Watch();
  Status StepPostchecks();
  Status Ended(Item& item);
  Status Save(const Item& item);
  void FailOpen(const Error& e);

  const ZoneContext& ctx_;
  std::map<std::string, Item> items_;  // by instance id
  std::vector<std::string> to_verify_;
  std::vector<std::string> watching_;  // instance ids with a task in flight
  std::set<std::string> over_;         // instance ids whose rollback ended
  std::vector<std::unique_ptr<ZonePostcheck>> postchecks_;
  PollSchedule poll_;
  bool verified_ = false;
  bool done_ = false;
  std::vector<std::pair<std::string, RollbackResult>> ended_;
};

}  // namespace fleetpatch::workflow
