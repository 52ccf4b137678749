// The postcheck of one landing zone (docs/safety.md): after the patch, the precheck script runs
// again (SSM Run Command, at most 50 instances a command) and EC2 DescribeInstanceStatus and SSM
// DescribeInstanceInformation are read; postcheck_logic.h compares that with the instance's
// precheck of this run: healthy, degraded (each regression named) or unreachable.
//
// Agents that are not Online are looked for at every poll until `ssm_timeout`; after it they are
// unreachable. Status checks still `initializing` (an instance just rebooted, or its root volume
// just replaced) are read again at every poll until `reboot_timeout` before they count. An output
// ListCommandInvocations cut at 2,500 characters is read whole with GetCommandInvocation. Nothing is saved
// before a verdict: a stopped run checks again on --resume (reading a machine's health twice changes
// nothing). A dry run only plans.
//
// Driven by a zone loop: Step() whenever NextCheck() has come, until Done().
// Not thread-safe: one zone thread owns it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "workflow/postcheck_logic.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

class ZonePostcheck {
 public:
  // `todo`: the instances to check, each with its precheck of this run (output included: it is the
  // "before"). `save`: record each verdict as the instance's postcheck (false: after a rollback,
  // where the rollback records it).
  ZonePostcheck(const ZoneContext& ctx, std::vector<InstanceRun> todo, bool save = true);

  // Does what is due now. An error is the zone's (a non-retryable DescribeInstanceInformation or
  // store failure); Done() is then true and the instances without a verdict end unreachable,
  // naming the error.
  Status Step();
  std::optional<SteadyTime> NextCheck() const;
  bool Done() const { return done_; }
  // The verdicts reached since the last call (instance id, result), in the order they came.
  std::vector<std::pair<std::string, PostcheckResult>> TakeEnded();

 private:
  struct Sent {
    std::string command_id;
    std::vector<InstanceRun*> targets;
    SteadyTime sent_at;
  };
  struct Observed {
    InstanceRun* run = nullptr;
    std::string command_id;
    PostcheckObservation observation;
  };
  Status LookForAgents();
  void SendTo(std::vector<InstanceRun*> online);
  Status Check();
  Status CheckCommand(Sent& s, std::vector<InstanceRun*>& left);
  Status Judge(const std::string& command_id,
               const std::vector<std::pair<InstanceRun*, const InvocationView*>>& done);
  Status Decide(std::vector<Observed> seen);
  std::optional<PrecheckMeasurements> Measured(const std::string& command_id, const InvocationView* v,
                                               std::string* why) const;
  Status Ended(const InstanceRun& r, PostcheckResult p);
  void FailOpen(const Error& e);
  const PrecheckThresholds& Thresholds(const InstanceRun& r) const;
  bool Finished() const { return waiting_.empty() && sent_.empty() && settling_.empty(); }

  const ZoneContext& ctx_;
  std::vector<InstanceRun> todo_;
  const bool save_;
  std::unordered_map<std::string, InstanceRun*> waiting_;  // agents not Online yet, by id
  std::unordered_map<std::string, std::string> last_ping_;
  std::vector<Sent> sent_;
  std::vector<Observed> settling_;  // measured; their status checks still initialize
  SteadyTime deadline_;             // of the look for agents
  SteadyTime settle_deadline_;      // of the wait for status checks that initialize
  std::optional<SteadyTime> look_due_;
  PollSchedule poll_;
  std::string started_;
  bool done_ = false;
  std::vector<std::pair<std::string, PostcheckResult>> ended_;
};

}  // namespace fleetpatch::workflow
