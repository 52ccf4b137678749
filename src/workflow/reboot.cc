#include "workflow/reboot.h"

#include <map>

#include "workflow/reboot_wait.h"

namespace fleetpatch::workflow {

bool NeedsRebootWait(const WorkflowOptions& o, const PatchResult& p) {
  return o.reboot_option == "RebootIfNeeded" && o.patch_operation == "Install" &&
         (p.status == PatchStatus::kSuccess || p.status == PatchStatus::kPartialSuccess);
}

ZoneReboot::ZoneReboot(const ZoneContext& ctx)
    : ctx_(ctx), poll_(ctx.options.reboot_first_poll, ctx.options.poll_interval) {}

void ZoneReboot::Add(InstanceRun r, PatchResult p, std::chrono::system_clock::time_point command_ended,
                     SteadyTime seen_ended) {
  waiting_.push_back({std::move(r), std::move(p), command_ended});
  // The first check at the first moment a rebooted instance can be back (workflow.first_poll.reboot
  // after its command was seen to end; at once for one whose command ended long before, e.g. while
  // the zone's verification waited for a straggler), for the whole batch: one that did not reboot
  // waits that long too, instead of a check of its own.
  poll_.Started(ctx_.clock().SteadyNow());
  poll_.Earliest(poll_.FirstCheckOf(seen_ended));
}

std::optional<SteadyTime> ZoneReboot::NextCheck() const {
  if (waiting_.empty() || ctx_.cancel.Cancelled()) return std::nullopt;
  return poll_.Due();
}

Status ZoneReboot::Step() {
  if (waiting_.empty() || ctx_.cancel.Cancelled() || !poll_.DueBy(ctx_.clock().SteadyNow()))
    return OkStatus();
  return Check();
}

Status ZoneReboot::Check() {
  poll_.Checked(ctx_.clock().SteadyNow());
  std::vector<std::string> ids;
  for (const auto& w : waiting_) ids.push_back(w.run.info.instance_id);
  auto agents = ctx_.api.DescribeInstanceInformation(ids);
  auto statuses = ctx_.api.DescribeInstanceStatus(ids);
  std::map<std::string, RebootObservation> seen;
  if (agents.ok()) {
    for (const auto& a : *agents) seen[a.instance_id].ping_status = a.ping_status;
  }
  if (statuses.ok()) {
    for (const auto& s : *statuses) {
      RebootObservation& o = seen[s.instance_id];
      o.instance_state = s.state;
      o.system_status = s.system_status;
      o.instance_status = s.instance_status;
    }
  }
  const bool answered = agents.ok() && statuses.ok();
  std::vector<Waiting> still;
  for (auto& w : waiting_) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::seconds>(ctx_.clock().Now() - w.command_ended);
    if (!answered && elapsed < ctx_.options.reboot_timeout) {
      still.push_back(std::move(w));  // ask again at the next check
      continue;
    }
    RebootDecision d = EvaluateReboot(seen[w.run.info.instance_id], elapsed, ctx_.options.reboot_timeout);
    if (d.verdict == RebootVerdict::kWaiting) {
      still.push_back(std::move(w));
      continue;
    }
    if (d.verdict == RebootVerdict::kFailed) {
      w.result.status = PatchStatus::kFailed;
      w.result.reason = d.reason;
      if (!answered) w.result.error = ToProblem(!agents.ok() ? agents.error() : statuses.error());
    }
    ended_.emplace_back(std::move(w.run), std::move(w.result));
  }
  waiting_ = std::move(still);
  if (waiting_.empty()) poll_.Idle();
  return OkStatus();
}

}  // namespace fleetpatch::workflow
