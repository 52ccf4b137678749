// The precheck of one landing zone: the platform's precheck script (precheck_logic.h) sent over SSM
// Run Command to instances whose agent is Online, at most 50 per command and `max_commands`
// invocations in flight, collected with ListCommandInvocations and judged against the thresholds.
// An output ListCommandInvocations cut at 2,500 characters is read whole with GetCommandInvocation.
// Agents that are not Online are looked for again at every poll until `ssm_timeout`, and are
// prechecked as soon as they come Online (one lost agent does not hold up the zone), or are
// unreachable after it.
//
// State transitions it makes (docs/pipeline.md): no precheck -> ready | not_ready | unreachable |
// failed. Nothing is saved before a verdict: a stopped run sends the script again on --resume
// (reading a machine's health twice changes nothing). A dry run only plans.
//
// Driven by a zone loop (precheck only, or the pipeline): Step() whenever NextCheck() has come.
// Not thread-safe: one zone thread owns it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

class ZonePrecheck {
 public:
  // Prechecks `todo`, which it owns (a precheck-only run).
  ZonePrecheck(const ZoneContext& ctx, std::vector<InstanceRun> todo);
  // Prechecks records the caller owns: a pipelined zone's entries, so that the zone holds one copy
  // of each record. They must stay alive and in place until this is destroyed; their backup is read
  // when a verdict comes (for its risks), so the caller keeps it current as the backup goes on.
  ZonePrecheck(const ZoneContext& ctx, std::vector<InstanceRun*> todo);

  // Does what is due now: looks for agents (at once, then every poll while some are awaited, and
  // at the ssm_timeout deadline), sends queued batches while the window has room (not once
  // cancelled), checks the commands in flight when due. An error is the zone's (a non-retryable
  // DescribeInstanceInformation failure); Done() is then true and the instances without a verdict
  // have none (they are reported ended as failed).
  Status Step();
  std::optional<SteadyTime> NextCheck() const;
  bool Done() const { return done_; }
  // The prechecks that ended since the last call (instance id, result), in the order they ended;
  // without the script's output and findings, which are saved already and judged.
  std::vector<std::pair<std::string, PrecheckResult>> TakeEnded();

 private:
  struct Batch {
    std::string document;
    std::shared_ptr<const std::string> script;
    std::vector<InstanceRun*> targets;
  };
  struct Sent {
    std::string command_id;
    std::vector<InstanceRun*> targets;
    SteadyTime sent_at;
  };
  Status LookForAgents();
  void Enqueue(std::vector<size_t> online);
  void Unreachable();
  Status TopUp();
  size_t InFlight() const;                  // invocations sent and not yet over
  bool WindowFits(size_t in_flight) const;  // the next queued batch fits max_commands
  Status Check();
  Status CheckCommand(Sent& s, std::vector<InstanceRun*>& left);
  PrecheckResult Verdict(const InstanceRun& r, const InvocationView* v) const;
  std::optional<PrecheckResult> ReadWholeOutput(const std::string& command_id, const InvocationView& v,
                                                InvocationView* whole) const;
  Status Ended(const InstanceRun& r, PrecheckResult p);
  bool Finished() const;

  const ZoneContext& ctx_;
  std::vector<InstanceRun> owned_;  // a precheck-only run's records (todo_ points into it)
  std::vector<InstanceRun*> todo_;
  std::unordered_map<std::string, size_t> waiting_;  // agents not Online yet: id -> place in todo_
  std::unordered_map<std::string, std::string> last_ping_;
  std::map<std::string, std::shared_ptr<const std::string>> scripts_;  // platform -> script
  std::vector<Batch> queue_;
  size_t next_batch_ = 0;
  std::vector<Sent> sent_;
  SteadyTime deadline_;  // of the look for agents
  std::optional<SteadyTime> look_due_;
  PollSchedule poll_;
  std::string started_;
  bool looked_ = false;
  bool done_ = false;
  std::vector<std::pair<std::string, PrecheckResult>> ended_;
};

}  // namespace fleetpatch::workflow
