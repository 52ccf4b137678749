#include "workflow/precheck.h"

#include <algorithm>

#include "workflow/long_output.h"
#include "workflow/pipeline.h"
#include "workflow/precheck_logic.h"

namespace fleetpatch::workflow {

ZonePrecheck::ZonePrecheck(const ZoneContext& ctx, std::vector<InstanceRun> todo)
    : ZonePrecheck(ctx, std::vector<InstanceRun*>{}) {
  owned_ = std::move(todo);
  for (auto& r : owned_) todo_.push_back(&r);
  for (size_t i = 0; i < todo_.size(); ++i) waiting_[todo_[i]->info.instance_id] = i;
}

ZonePrecheck::ZonePrecheck(const ZoneContext& ctx, std::vector<InstanceRun*> todo)
    : ctx_(ctx),
      todo_(std::move(todo)),
      deadline_(ctx.clock().SteadyNow() + ctx.options.ssm_timeout),
      poll_(ctx.options.precheck_first_poll, ctx.options.poll_interval),
      started_(ctx.Now()) {
  for (size_t i = 0; i < todo_.size(); ++i) waiting_[todo_[i]->info.instance_id] = i;
}

std::vector<std::pair<std::string, PrecheckResult>> ZonePrecheck::TakeEnded() {
  return std::exchange(ended_, {});
}

bool ZonePrecheck::Finished() const {
  return waiting_.empty() && next_batch_ >= queue_.size() && sent_.empty();
}

std::optional<SteadyTime> ZonePrecheck::NextCheck() const {
  if (done_) return std::nullopt;
  const auto now = ctx_.clock().SteadyNow();
  if (!looked_ || ctx_.cancel.Cancelled() || Finished()) return now;
  std::optional<SteadyTime> send;
  if (WindowFits(InFlight())) send = now + ctx_.api.RoomFor("ssm", "SendCommand").next_in;
  return Earlier(Earlier(send, poll_.Due()), waiting_.empty() ? std::nullopt : look_due_);
}

size_t ZonePrecheck::InFlight() const {
  size_t in_flight = 0;
  for (const auto& s : sent_) in_flight += s.targets.size();
  return in_flight;
}

bool ZonePrecheck::WindowFits(size_t in_flight) const {
  if (next_batch_ >= queue_.size()) return false;
  const size_t window = static_cast<size_t>(std::max(1, ctx_.options.max_commands));
  return in_flight == 0 || in_flight + queue_[next_batch_].targets.size() <= window;
}

Status ZonePrecheck::Step() {
  if (done_) return OkStatus();
  if (ctx_.options.dry_run) {
    for (const auto* r : todo_) {
      ctx_.sink.Plan("precheck: would run the " + r->info.platform + " precheck script on " +
                     r->info.instance_id + " (" + ctx_.name() + ")");
    }
    ctx_.sink.Skipped(Phase::kPrecheck, static_cast<int64_t>(todo_.size()));
    done_ = true;
    return OkStatus();
  }
  const auto now = ctx_.clock().SteadyNow();
  Status st = OkStatus();
  if (!ctx_.cancel.Cancelled() && !waiting_.empty() && (!looked_ || (look_due_ && *look_due_ <= now))) {
    st = LookForAgents();
  }
  if (st.ok()) st = TopUp();
  if (st.ok() && poll_.DueBy(now) && !ctx_.cancel.Cancelled()) st = Check();
  if (!st.ok()) {
    done_ = true;
    ctx_.sink.Journal("error", ctx_.name(), "", Phase::kPrecheck, "zone failed: " + st.error().ToString());
    // Every instance without a verdict ends failed here (in memory only: it has no result saved,
    // as a precheck that never ran).
    std::vector<InstanceRun*> open;
    for (auto& [id, i] : waiting_) open.push_back(todo_[i]);
    for (size_t b = next_batch_; b < queue_.size(); ++b)
      open.insert(open.end(), queue_[b].targets.begin(), queue_[b].targets.end());
    for (auto& s : sent_) open.insert(open.end(), s.targets.begin(), s.targets.end());
    PrecheckResult p;
    p.status = PrecheckStatus::kFailed;
    p.error = ToProblem(st.error());
    for (auto* r : open) ended_.emplace_back(r->info.instance_id, p);
    waiting_.clear();
    sent_.clear();
    next_batch_ = queue_.size();
    (void)ctx_.sink.Flush();
    return st;
  }
  if (Finished() || ctx_.cancel.Cancelled()) {
    done_ = true;
    return ctx_.sink.Flush();
  }
  return OkStatus();
}

// Looks for the waiting agents (one DescribeInstanceInformation walk); at the deadline, whoever is
// still not Online is unreachable.
Status ZonePrecheck::LookForAgents() {
  looked_ = true;
  const auto now = ctx_.clock().SteadyNow();
  look_due_ = std::min(now + ctx_.options.poll_interval, deadline_);
  auto info = ctx_.api.DescribeInstanceInformation();
  if (!info.ok() && !info.error().retryable) return info.error();
  std::vector<size_t> online;
  if (info.ok()) {
    for (const auto& s : *info) {
      auto it = waiting_.find(s.instance_id);
      if (it == waiting_.end()) continue;
      last_ping_[s.instance_id] = s.ping_status;
      if (s.ping_status == "Online") {
        online.push_back(it->second);
        waiting_.erase(it);
      }
    }
  }
  // Keep the instances' own order (the map's is arbitrary): batches stay deterministic.
  std::sort(online.begin(), online.end());
  Enqueue(std::move(online));
  if (now >= deadline_) Unreachable();
  return OkStatus();
}

void ZonePrecheck::Unreachable() {
  std::vector<size_t> lost;
  for (auto& [id, i] : waiting_) lost.push_back(i);
  std::sort(lost.begin(), lost.end());
  for (size_t i : lost) {
    const InstanceRun* r = todo_[i];
    PrecheckResult p;
    p.status = PrecheckStatus::kUnreachable;
    p.started_at = started_;
    const std::string& id = r->info.instance_id;
    std::string ping = last_ping_.count(id) ? last_ping_[id] : std::string("not registered");
    p.reasons.push_back("SSM agent not reachable: PingStatus " + ping + " after " +
                        std::to_string(ctx_.options.ssm_timeout.count()) +
                        " s (workflow.timeouts.ssm_connection)");
    (void)Ended(*r, p);
  }
  waiting_.clear();
}

// One script per platform, sent to at most 50 instances per command.
void ZonePrecheck::Enqueue(std::vector<size_t> online) {
  std::map<std::string, std::vector<InstanceRun*>> by_platform;
  for (size_t i : online) by_platform[todo_[i]->info.platform].push_back(todo_[i]);
  for (auto& [platform, runs] : by_platform) {
    auto& shared = scripts_[platform];
    if (!shared) {
      const PrecheckThresholds& t =
          platform == "windows" ? ctx_.options.windows_thresholds : ctx_.options.linux_thresholds;
      auto script = BuildPrecheckScript(platform, t.critical_services);
      if (!script.ok()) {
        for (auto* r : runs) {
          PrecheckResult p;
          p.status = PrecheckStatus::kFailed;
          p.error = ToProblem(script.error());
          (void)Ended(*r, p);
        }
        continue;
      }
      shared = std::make_shared<const std::string>(std::move(script).value());
    }
    std::string document = platform == "windows" ? "AWS-RunPowerShellScript" : "AWS-RunShellScript";
    for (auto& chunk : Chunks(runs, kSsmBatch)) queue_.push_back({document, shared, std::move(chunk)});
  }
}

// Sends queued batches while at most max_commands invocations are in flight in this zone and the
// client's SSM budget lets a SendCommand go now (ZoneApi::RoomFor).
Status ZonePrecheck::TopUp() {
  size_t in_flight = InFlight();
  for (size_t sends = ctx_.api.RoomFor("ssm", "SendCommand").now;
       sends > 0 && WindowFits(in_flight) && !ctx_.cancel.Cancelled(); --sends) {
    Batch& b = queue_[next_batch_];
    ++next_batch_;
    std::vector<std::string> ids;
    for (auto* r : b.targets) ids.push_back(r->info.instance_id);
    auto cmd = ctx_.api.SendCommand(
        b.document, ids,
        {{"commands", {*b.script}},
         {"executionTimeout", {std::to_string(ctx_.options.precheck_execution_timeout_s)}}},
        static_cast<int>(ctx_.options.ssm_timeout.count()), "fleetpatch precheck " + ctx_.run_id());
    if (!cmd.ok()) {
      for (auto* r : b.targets) {
        PrecheckResult p;
        p.status = PrecheckStatus::kFailed;
        p.error = ToProblem(cmd.error());
        FP_RETURN_IF_ERROR(Ended(*r, p));
      }
      continue;
    }
    in_flight += b.targets.size();
    sent_.push_back({*cmd, b.targets, ctx_.clock().SteadyNow()});
    poll_.Started(ctx_.clock().SteadyNow());
  }
  return OkStatus();
}

// Collects every command in flight (ListCommandInvocations with details, 50 per page).
Status ZonePrecheck::Check() {
  poll_.Checked(ctx_.clock().SteadyNow());
  std::vector<Sent> still;
  for (auto& s : sent_) {
    std::vector<InstanceRun*> left;
    FP_RETURN_IF_ERROR(CheckCommand(s, left));
    if (!left.empty()) still.push_back({s.command_id, std::move(left), s.sent_at});
  }
  sent_ = std::move(still);
  if (sent_.empty()) poll_.Idle();
  return OkStatus();
}

Status ZonePrecheck::CheckCommand(Sent& s, std::vector<InstanceRun*>& left) {
  auto inv = ctx_.api.ListInvocations(s.command_id);
  if (!inv.ok() && !inv.error().retryable) {
    for (auto* r : s.targets) {
      PrecheckResult p;
      p.status = PrecheckStatus::kFailed;
      p.command_id = s.command_id;
      p.error = ToProblem(inv.error());
      FP_RETURN_IF_ERROR(Ended(*r, p));
    }
    return OkStatus();
  }
  std::unordered_map<std::string, const InvocationView*> by_id;
  if (inv.ok())
    for (const auto& v : *inv) by_id[v.instance_id] = &v;
  const auto limit =
      ctx_.options.ssm_timeout + std::chrono::seconds(ctx_.options.precheck_execution_timeout_s);
  const bool expired = ctx_.clock().SteadyNow() - s.sent_at > limit;
  for (auto* r : s.targets) {
    auto it = by_id.find(r->info.instance_id);
    const InvocationView* v = it == by_id.end() ? nullptr : it->second;
    if (!expired && (!v || !TerminalInvocation(v->status))) {
      left.push_back(r);
      continue;
    }
    InvocationView whole;
    std::optional<PrecheckResult> unread;
    if (v && v->status == "Success" && OutputMayBeCut(v->output, OutputSource::kListInvocations)) {
      unread = ReadWholeOutput(s.command_id, *v, &whole);
      v = &whole;
    }
    PrecheckResult p = unread ? *unread : Verdict(*r, v);
    p.command_id = s.command_id;
    FP_RETURN_IF_ERROR(Ended(*r, std::move(p)));
  }
  return OkStatus();
}

// ListCommandInvocations cut the output at 2,500 characters (an instance with many mounts): reads
// it whole with GetCommandInvocation into *whole. Returns the failed result when that is not
// possible (the call failed, or the output reached GetCommandInvocation's 24,000 too), else nullopt.
std::optional<PrecheckResult> ZonePrecheck::ReadWholeOutput(const std::string& command_id,
                                                            const InvocationView& v,
                                                            InvocationView* whole) const {
  *whole = v;
  auto out = ctx_.api.GetInvocationOutput(command_id, v.instance_id);
  PrecheckResult p;
  p.started_at = started_;
  p.status = PrecheckStatus::kFailed;
  if (!out.ok()) {
    p.error = ToProblem(out.error());
    return p;
  }
  whole->output = std::move(*out);
  if (OutputMayBeCut(whole->output, OutputSource::kGetInvocation)) {
    p.output = whole->output.substr(0, 4000);
    p.error = {"validation", "PrecheckOutputTooLong",
               "the precheck output reached GetCommandInvocation's 24,000 characters and may be cut; limit "
               "precheck.mounts to the mounts that matter"};
    return p;
  }
  return std::nullopt;
}

// The verdict on one finished (or expired: v null or not terminal) invocation.
PrecheckResult ZonePrecheck::Verdict(const InstanceRun& r, const InvocationView* v) const {
  PrecheckResult p;
  p.started_at = started_;
  if (v) p.output = v->output.substr(0, 4000);
  if (!v || !TerminalInvocation(v->status)) {
    p.status = PrecheckStatus::kFailed;
    p.error = {"timeout", "PrecheckTimedOut", "precheck script did not finish in time"};
  } else if (Undelivered(v->status) || Undelivered(v->status_details)) {
    // SSM reports an undelivered command as Status TimedOut / Failed with the cause in
    // StatusDetails (DeliveryTimedOut, Undeliverable): the agent, not the script, failed.
    p.status = PrecheckStatus::kUnreachable;
    p.reasons.push_back("SSM could not deliver the precheck command (" +
                        (Undelivered(v->status_details) ? v->status_details : v->status) + ")");
  } else if (v->status != "Success") {
    p.status = PrecheckStatus::kFailed;
    p.error = {
        "validation", "PrecheckScriptFailed",
        "precheck script ended " + v->status + " (exit code " + std::to_string(v->response_code) + ")"};
  } else if (auto m = ParsePrecheckOutput(v->output); !m.ok()) {
    p.status = PrecheckStatus::kFailed;
    p.error = ToProblem(m.error(), "PrecheckOutputInvalid");
  } else {
    const PrecheckThresholds& t =
        r.info.platform == "windows" ? ctx_.options.windows_thresholds : ctx_.options.linux_thresholds;
    PrecheckResult verdict = EvaluatePrecheck(*m, t);
    p.status = verdict.status;
    p.reasons = std::move(verdict.reasons);
    p.findings = std::move(verdict.findings);
    p.risks = PrecheckRisks(r.info, r.backup ? &*r.backup : nullptr, &*m, ctx_.options.min_agent_version);
  }
  return p;
}

Status ZonePrecheck::Ended(const InstanceRun& r, PrecheckResult p) {
  if (p.finished_at.empty()) p.finished_at = ctx_.Now();
  Status saved = ctx_.sink.Precheck(r.info.zone, r.info.instance_id, p);
  p.output.clear();  // up to 4,000 characters, saved now and judged: nobody needs it again
  p.output.shrink_to_fit();
  p.findings.clear();
  ended_.emplace_back(r.info.instance_id, std::move(p));
  return saved;
}

}  // namespace fleetpatch::workflow

// ---------------------------------------------------------------------------------------------
// The precheck phase on its own (`--workflow precheck`)

namespace fleetpatch::workflow {

Result<PhaseSummary> Workflow::Precheck(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kScan, Phase::kPrecheck));
  FP_RETURN_IF_ERROR(RequireEligible(run_id, "precheck"));
  FP_ASSIGN_OR_RETURN(auto todo, store_.PendingPrechecks(run_id));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  sink.Open(Phase::kPrecheck, static_cast<int64_t>(todo.size()));
  ByZone by_zone = SplitByZone(std::move(todo));
  auto work = [&](const ZoneContext& ctx, std::vector<InstanceRun> batch) -> Status {
    ZonePrecheck precheck(ctx, std::move(batch));
    return RunToEnd(precheck, ctx);
  };
  auto down = [&](std::vector<InstanceRun>& batch, const Error& e) {
    for (auto& r : batch) {
      PrecheckResult p;
      p.status = PrecheckStatus::kFailed;
      p.error = ToProblem(e);
      p.finished_at = FormatIso8601(clock_.Now());
      (void)sink.Precheck(r.info.zone, r.info.instance_id, p);
    }
  };
  ForEachZone(run_id, zones, std::move(by_zone), Phase::kPrecheck, sink, work, down);
  return EndPhase(run_id, Phase::kPrecheck, sink);
}

}  // namespace fleetpatch::workflow
