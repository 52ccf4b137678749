#include "workflow/postcheck.h"

#include <algorithm>
#include <mutex>

#include "workflow/long_output.h"
#include "workflow/pipeline.h"
#include "workflow/result_sink.h"

namespace fleetpatch::workflow {
namespace {

// The instance's precheck measurements of this run, when its stored output still parses.
std::optional<PrecheckMeasurements> Before(const InstanceRun& r) {
  if (!r.precheck || r.precheck->output.empty()) return std::nullopt;
  auto m = ParsePrecheckOutput(r.precheck->output);
  if (!m.ok()) return std::nullopt;
  return std::move(m).value();
}

}  // namespace

ZonePostcheck::ZonePostcheck(const ZoneContext& ctx, std::vector<InstanceRun> todo, bool save)
    : ctx_(ctx),
      todo_(std::move(todo)),
      save_(save),
      deadline_(ctx.clock().SteadyNow() + ctx.options.ssm_timeout),
      settle_deadline_(ctx.clock().SteadyNow() + ctx.options.reboot_timeout),
      poll_(ctx.options.precheck_first_poll, ctx.options.poll_interval),
      started_(ctx.Now()) {
  for (auto& r : todo_) waiting_[r.info.instance_id] = &r;
}

std::vector<std::pair<std::string, PostcheckResult>> ZonePostcheck::TakeEnded() {
  return std::exchange(ended_, {});
}

const PrecheckThresholds& ZonePostcheck::Thresholds(const InstanceRun& r) const {
  return r.info.platform == "windows" ? ctx_.options.windows_thresholds : ctx_.options.linux_thresholds;
}

std::optional<SteadyTime> ZonePostcheck::NextCheck() const {
  if (done_) return std::nullopt;
  const auto now = ctx_.clock().SteadyNow();
  if (!look_due_ || ctx_.cancel.Cancelled() || Finished()) return now;
  return Earlier(poll_.Due(), waiting_.empty() ? std::nullopt : look_due_);
}

Status ZonePostcheck::Step() {
  if (done_) return OkStatus();
  if (ctx_.options.dry_run) {
    for (auto& r : todo_) {
      ctx_.sink.Plan("postcheck: would run the " + r.info.platform + " precheck script again on " +
                     r.info.instance_id + " (" + ctx_.name() + ") and compare it with its precheck");
    }
    done_ = true;
    return OkStatus();
  }
  const auto now = ctx_.clock().SteadyNow();
  Status st = OkStatus();
  if (!ctx_.cancel.Cancelled() && !waiting_.empty() && (!look_due_ || *look_due_ <= now))
    st = LookForAgents();
  if (st.ok() && poll_.DueBy(now) && !ctx_.cancel.Cancelled()) st = Check();
  if (!st.ok()) {
    FailOpen(st.error());
    return st;
  }
  if (Finished() || ctx_.cancel.Cancelled()) done_ = true;
  return OkStatus();
}

// The zone failed: every instance without a verdict is unreachable, naming the error (in memory
// only: a resumed run checks them again).
void ZonePostcheck::FailOpen(const Error& e) {
  done_ = true;
  std::vector<InstanceRun*> open;
  for (auto& [id, r] : waiting_) open.push_back(r);
  for (auto& s : sent_) open.insert(open.end(), s.targets.begin(), s.targets.end());
  for (auto& o : settling_) open.push_back(o.run);
  settling_.clear();
  for (auto* r : open) {
    PostcheckResult p;
    p.status = PostcheckStatus::kUnreachable;
    p.error = ToProblem(e);
    p.regressions.push_back("the postcheck could not run: " + e.message);
    ended_.emplace_back(r->info.instance_id, p);
  }
  waiting_.clear();
  sent_.clear();
}

// Looks for the waiting instances' agents (one DescribeInstanceInformation call per 50 of them):
// Online agents get the script; at the deadline, whoever is still not Online is unreachable.
Status ZonePostcheck::LookForAgents() {
  const auto now = ctx_.clock().SteadyNow();
  look_due_ = std::min(now + ctx_.options.poll_interval, deadline_);
  std::vector<std::string> ids;
  ids.reserve(waiting_.size());
  for (const auto& [id, r] : waiting_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());  // the same calls for the same instances
  auto info = ctx_.api.DescribeInstanceInformation(ids);
  if (!info.ok() && !info.error().retryable) return info.error();
  std::vector<InstanceRun*> online;
  if (info.ok()) {
    for (const auto& s : *info) {
      auto it = waiting_.find(s.instance_id);
      if (it == waiting_.end()) continue;
      last_ping_[s.instance_id] = s.ping_status;
      if (s.ping_status != "Online") continue;
      online.push_back(it->second);
      waiting_.erase(it);
    }
  }
  std::sort(online.begin(), online.end());  // the instances' own order: deterministic batches
  SendTo(std::move(online));
  if (now < deadline_) return OkStatus();
  std::vector<InstanceRun*> lost;
  for (auto& [id, r] : waiting_) lost.push_back(r);
  std::sort(lost.begin(), lost.end());
  waiting_.clear();
  for (auto* r : lost) {
    const std::string& id = r->info.instance_id;
    PostcheckObservation o;
    o.ping_status = last_ping_.count(id) ? last_ping_[id] : "not registered";
    o.unreachable_reason = "SSM agent not Online after " + std::to_string(ctx_.options.ssm_timeout.count()) +
                           " s (workflow.timeouts.ssm_connection)";
    PostcheckVerdict v = ComparePostcheck(Before(*r), o, Thresholds(*r));
    PostcheckResult p;
    p.status = v.status;
    p.regressions = std::move(v.regressions);
    FP_RETURN_IF_ERROR(Ended(*r, std::move(p)));
  }
  return OkStatus();
}

// The precheck script per platform, at most 50 instances a command.
void ZonePostcheck::SendTo(std::vector<InstanceRun*> online) {
  std::map<std::string, std::vector<InstanceRun*>> by_platform;
  for (auto* r : online) by_platform[r->info.platform].push_back(r);
  for (auto& [platform, runs] : by_platform) {
    auto script = BuildPrecheckScript(platform, Thresholds(*runs.front()).critical_services);
    const std::string document = platform == "windows" ? "AWS-RunPowerShellScript" : "AWS-RunShellScript";
    for (auto& chunk : Chunks(runs, kSsmBatch)) {
      std::vector<std::string> ids;
      for (auto* r : chunk) ids.push_back(r->info.instance_id);
      Result<std::string> cmd =
          script.ok() ? Result<std::string>(Error::Internal("not sent")) : script.error();
      if (script.ok()) {
        cmd = ctx_.api.SendCommand(
            document, ids,
            {{"commands", {*script}},
             {"executionTimeout", {std::to_string(ctx_.options.precheck_execution_timeout_s)}}},
            static_cast<int>(ctx_.options.ssm_timeout.count()), "fleetpatch postcheck " + ctx_.run_id());
      }
      if (cmd.ok()) {
        sent_.push_back({*cmd, chunk, ctx_.clock().SteadyNow()});
        poll_.Started(ctx_.clock().SteadyNow());
        continue;
      }
      for (auto* r : chunk) {
        PostcheckResult p;
        p.status = PostcheckStatus::kUnreachable;
        p.error = ToProblem(cmd.error());
        p.regressions.push_back("the postcheck script could not be sent: " + cmd.error().message);
        (void)Ended(*r, std::move(p));
      }
    }
  }
}

Status ZonePostcheck::Check() {
  poll_.Checked(ctx_.clock().SteadyNow());
  if (!settling_.empty()) FP_RETURN_IF_ERROR(Decide(std::exchange(settling_, {})));
  std::vector<Sent> still;
  for (auto& s : sent_) {
    std::vector<InstanceRun*> left;
    FP_RETURN_IF_ERROR(CheckCommand(s, left));
    if (!left.empty()) still.push_back({s.command_id, std::move(left), s.sent_at});
  }
  sent_ = std::move(still);
  if (sent_.empty() && settling_.empty()) poll_.Idle();
  return OkStatus();
}

// The invocations of one command that ended (or expired) are judged together: one
// DescribeInstanceStatus and one DescribeInstanceInformation for all of them.
Status ZonePostcheck::CheckCommand(Sent& s, std::vector<InstanceRun*>& left) {
  auto inv = ctx_.api.ListInvocations(s.command_id);
  if (!inv.ok() && !inv.error().retryable) return inv.error();
  std::unordered_map<std::string, const InvocationView*> by_id;
  if (inv.ok())
    for (const auto& v : *inv) by_id[v.instance_id] = &v;
  const auto limit =
      ctx_.options.ssm_timeout + std::chrono::seconds(ctx_.options.precheck_execution_timeout_s);
  const bool expired = ctx_.clock().SteadyNow() - s.sent_at > limit;
  std::vector<std::pair<InstanceRun*, const InvocationView*>> done;
  for (auto* r : s.targets) {
    auto it = by_id.find(r->info.instance_id);
    const InvocationView* v = it == by_id.end() ? nullptr : it->second;
    if (!expired && (!v || !TerminalInvocation(v->status))) {
      left.push_back(r);
    } else {
      done.emplace_back(r, v);
    }
  }
  return done.empty() ? OkStatus() : Judge(s.command_id, done);
}

Status ZonePostcheck::Judge(const std::string& command_id,
                            const std::vector<std::pair<InstanceRun*, const InvocationView*>>& done) {
  std::vector<Observed> seen;
  for (const auto& [r, v] : done) {
    Observed o{r, command_id, {}};
    o.observation.after = Measured(command_id, v, &o.observation.unreachable_reason);
    seen.push_back(std::move(o));
  }
  return Decide(std::move(seen));
}

// Reads the agents and status checks of `seen` (one call each); an instance whose status checks
// still initialize waits for the next poll (until reboot_timeout), the others get their verdict.
Status ZonePostcheck::Decide(std::vector<Observed> seen) {
  std::vector<std::string> ids;
  for (const auto& o : seen) ids.push_back(o.run->info.instance_id);
  FP_ASSIGN_OR_RETURN(auto statuses, ctx_.api.DescribeInstanceStatus(ids));
  FP_ASSIGN_OR_RETURN(auto agents, ctx_.api.DescribeInstanceInformation(ids));
  const bool may_wait = ctx_.clock().SteadyNow() < settle_deadline_;
  for (auto& o : seen) {
    PostcheckObservation& now = o.observation;
    const std::string& id = o.run->info.instance_id;
    now.ping_status = "not registered";
    for (const auto& a : agents)
      if (a.instance_id == id) now.ping_status = a.ping_status;
    now.system_status = now.instance_status = "not reported";
    for (const auto& st : statuses) {
      if (st.instance_id != id) continue;
      now.system_status = st.system_status;
      now.instance_status = st.instance_status;
    }
    if (may_wait && (now.system_status == "initializing" || now.instance_status == "initializing")) {
      settling_.push_back(std::move(o));
      continue;
    }
    PostcheckVerdict verdict = ComparePostcheck(Before(*o.run), now, Thresholds(*o.run));
    PostcheckResult p;
    p.status = verdict.status;
    p.regressions = std::move(verdict.regressions);
    p.command_id = o.command_id;
    FP_RETURN_IF_ERROR(Ended(*o.run, std::move(p)));
  }
  return OkStatus();
}

// The script's measurements, read whole when ListCommandInvocations cut them; nullopt with *why
// when there are none.
std::optional<PrecheckMeasurements> ZonePostcheck::Measured(const std::string& command_id,
                                                            const InvocationView* v, std::string* why) const {
  if (!v || !TerminalInvocation(v->status)) {
    *why = "the postcheck script did not finish in time";
    return std::nullopt;
  }
  if (v->status != "Success") {
    *why = "the postcheck script ended " + (v->status_details.empty() ? v->status : v->status_details);
    return std::nullopt;
  }
  std::string output = v->output;
  if (OutputMayBeCut(output, OutputSource::kListInvocations)) {
    auto whole = ctx_.api.GetInvocationOutput(command_id, v->instance_id);
    if (!whole.ok()) {
      *why = "the postcheck output could not be read: " + whole.error().message;
      return std::nullopt;
    }
    output = std::move(*whole);
  }
  auto m = ParsePrecheckOutput(output);
  if (!m.ok()) {
    *why = "the postcheck output could not be parsed: " + m.error().message;
    return std::nullopt;
  }
  return std::move(m).value();
}

Status ZonePostcheck::Ended(const InstanceRun& r, PostcheckResult p) {
  p.started_at = started_;
  p.finished_at = ctx_.Now();
  if (p.status != PostcheckStatus::kHealthy) {
    std::string what;
    for (const auto& g : p.regressions) what += (what.empty() ? "" : "; ") + g;
    ctx_.sink.Journal("error", r.info.zone, r.info.instance_id, Phase::kPatch,
                      std::string("postcheck ") + PostcheckStatusName(p.status) + ": " + what);
  }
  ended_.emplace_back(r.info.instance_id, p);
  return save_ ? ctx_.sink.Postcheck(r.info.zone, r.info.instance_id, p) : OkStatus();
}

}  // namespace fleetpatch::workflow

// ---------------------------------------------------------------------------------------------
// The postcheck on its own (`--workflow postcheck`, and a full run after its patch)

namespace fleetpatch::workflow {
namespace {

// Statuses of a patch whose command ran on the instance: its health may have changed.
const std::vector<std::string>& PatchedStatuses() {
  static const std::vector<std::string> kAll = {
      PatchStatusName(PatchStatus::kSuccess), PatchStatusName(PatchStatus::kInstalledPendingReboot),
      PatchStatusName(PatchStatus::kPartialSuccess), PatchStatusName(PatchStatus::kFailed),
      PatchStatusName(PatchStatus::kTimedOut)};
  return kAll;
}

void Tally(PostcheckStatus s, SafetySummary* out) {
  switch (s) {
    case PostcheckStatus::kHealthy:
      ++out->healthy;
      break;
    case PostcheckStatus::kDegraded:
      ++out->degraded;
      break;
    case PostcheckStatus::kUnreachable:
      ++out->unreachable;
      break;
    case PostcheckStatus::kSkipped:
      break;
  }
}

}  // namespace

Result<SafetySummary> Workflow::Postcheck(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  FP_ASSIGN_OR_RETURN(RunInfo run, store_.GetRun(run_id));
  const auto& done = run.phases_completed;
  if (std::find(done.begin(), done.end(), PhaseName(Phase::kPatch)) == done.end()) {
    return Error::Validation("run " + run_id +
                             " has no patch results: run `--workflow patch` before `--workflow postcheck`");
  }
  state::InstanceQuery q;
  q.eligible = true;
  q.patch_status = PatchedStatuses();
  // With the precheck output (the "before"). Only those without a postcheck are kept: after a full
  // run's pipeline that is none or a few, and holding every patched record with its details for the
  // moment made the run's peak (docs/pipeline.md "Memory").
  FP_ASSIGN_OR_RETURN(auto patched, store_.SelectInstances(run_id, q, [](const InstanceRun& r) {
    return !r.postcheck.has_value();
  }));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  SafetySummary out;
  std::mutex mu;
  auto work = [&](const ZoneContext& ctx, std::vector<InstanceRun> batch) -> Status {
    ZonePostcheck postcheck(ctx, std::move(batch));
    Status st = RunToEnd(postcheck, ctx);
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, p] : postcheck.TakeEnded()) Tally(p.status, &out);
    return st;
  };
  auto down = [](std::vector<InstanceRun>&, const Error&) {};  // no verdict: --resume checks them
  ForEachZone(run_id, zones, SplitByZone(std::move(patched)), Phase::kPatch, sink, work, down);
  FP_RETURN_IF_ERROR(sink.Flush());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& line : sink.PlanLines()) plan_.push_back(line);
  }
  out.zone_errors = sink.Summary(Phase::kPatch).zone_errors;
  out.interrupted = cancel_.Cancelled();
  return out;
}

}  // namespace fleetpatch::workflow
