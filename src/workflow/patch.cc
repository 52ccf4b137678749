#include "workflow/patch.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <unordered_map>

#include "workflow/rollout.h"

namespace fleetpatch::workflow {

std::optional<std::string> PatchBlocker(const InstanceRun& r, const WorkflowOptions& o) {
  if (!r.precheck || r.precheck->status != PrecheckStatus::kReady) {
    return "precheck " + std::string(r.precheck ? PrecheckStatusName(r.precheck->status) : "not run");
  }
  if (o.backup_enabled && o.backup_required && (!r.backup || r.backup->status != BackupStatus::kAvailable)) {
    return "required backup is " + std::string(r.backup ? BackupStatusName(r.backup->status) : "missing") +
           ": never patched without a backup";
  }
  return std::nullopt;
}

bool PatchOver(const InstanceRun& r) {
  return r.patch && r.patch->status != PatchStatus::kPending && r.patch->status != PatchStatus::kInProgress &&
         r.patch->status != PatchStatus::kSkipped;
}

bool PatchInFlight(const InstanceRun& r) {
  return r.patch && r.patch->status == PatchStatus::kInProgress && !r.patch->command_id.empty();
}

bool PatchFailed(PatchStatus s) {
  return s == PatchStatus::kFailed || s == PatchStatus::kTimedOut || s == PatchStatus::kCancelled;
}

ZonePatch::ZonePatch(const ZoneContext& ctx)
    : ctx_(ctx), poll_(ctx.options.patch_first_poll, ctx.options.poll_interval), reboot_(ctx) {}

std::vector<std::pair<std::string, PatchStatus>> ZonePatch::TakeEnded() { return std::exchange(ended_, {}); }

std::optional<SteadyTime> ZonePatch::NextCheck() const {
  if (flights_.empty() && !finished_.empty()) return ctx_.clock().SteadyNow();  // to verify
  if (ctx_.cancel.Cancelled()) return std::nullopt;
  return Earlier(Earlier(poll_.Due(), TimeoutDue()), reboot_.NextCheck());
}

// When the oldest command in flight reaches workflow.timeouts.patch_execution, unless a check was
// made since: it is checked (and what still runs cancelled) then, not at the poll after.
std::optional<SteadyTime> ZonePatch::TimeoutDue() const {
  if (flights_.empty()) return std::nullopt;
  auto first = flights_.front().started;
  for (const auto& f : flights_) first = std::min(first, f.started);
  const SteadyTime due =
      ctx_.clock().SteadyNow() + std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     first + ctx_.options.patch_timeout - ctx_.clock().Now());
  if (last_check_ && due <= *last_check_) return std::nullopt;  // seen by a check already
  return due;
}

Status ZonePatch::Start(std::vector<InstanceRun> batch, int wave) {
  std::map<std::string, std::vector<InstanceRun>> resumed;  // command id -> instances in flight
  std::vector<InstanceRun> fresh;
  for (auto& r : batch) {
    if (PatchInFlight(r)) {
      resumed[r.patch->command_id].push_back(std::move(r));
    } else {
      fresh.push_back(std::move(r));
    }
  }
  for (auto& [cmd, runs] : resumed) {
    auto t = ctx_.clock().Now();
    ParseIso8601(runs.front().patch->started_at, &t);
    ctx_.sink.Journal("info", ctx_.name(), "", Phase::kPatch, "resuming the monitoring of command " + cmd);
    flights_.push_back({cmd, std::move(runs), t});
    poll_.StartedLongAgo(ctx_.clock().SteadyNow());  // resumed
  }
  for (auto& chunk : Chunks(std::move(fresh), kSsmBatch)) {
    if (ctx_.cancel.Cancelled()) break;  // not sent: stays queued for --resume
    FP_RETURN_IF_ERROR(Send(std::move(chunk), wave));
  }
  return OkStatus();
}

Status ZonePatch::Send(std::vector<InstanceRun> chunk, int wave) {
  std::map<std::string, std::vector<std::string>> params = {{"Operation", {ctx_.options.patch_operation}},
                                                            {"RebootOption", {ctx_.options.reboot_option}}};
  if (!ctx_.options.baseline_override.empty()) params["BaselineOverride"] = {ctx_.options.baseline_override};
  std::vector<std::string> ids;
  for (auto& r : chunk) ids.push_back(r.info.instance_id);
  const auto started = ctx_.clock().Now();
  auto cmd = ctx_.api.SendCommand(ctx_.options.patch_document, ids, params,
                                  static_cast<int>(ctx_.options.ssm_timeout.count()),
                                  "fleetpatch patch " + ctx_.run_id() + " wave " + std::to_string(wave));
  if (!cmd.ok()) {
    for (auto& r : chunk) {
      PatchResult p;
      p.status = PatchStatus::kFailed;
      p.wave = wave;
      p.error = ToProblem(cmd.error());
      FP_RETURN_IF_ERROR(Ended(r, p));
    }
    return OkStatus();
  }
  // Recorded before waiting, so a crash resumes by watching this command, not by patching again.
  for (auto& r : chunk) {
    PatchResult p;
    p.status = PatchStatus::kInProgress;
    p.wave = wave;
    p.command_id = *cmd;
    p.started_at = FormatIso8601(started);
    r.patch = p;
    FP_RETURN_IF_ERROR(ctx_.sink.Patch(r.info.zone, r.info.instance_id, p));
  }
  FP_RETURN_IF_ERROR(ctx_.sink.Flush());
  flights_.push_back({*cmd, std::move(chunk), started});
  poll_.Started(ctx_.clock().SteadyNow());
  return OkStatus();
}

Status ZonePatch::Step() {
  const SteadyTime now = ctx_.clock().SteadyNow();
  const auto timeout = TimeoutDue();
  if (!flights_.empty() && !ctx_.cancel.Cancelled() && (poll_.DueBy(now) || (timeout && *timeout <= now))) {
    FP_RETURN_IF_ERROR(Check());
  }
  if (!finished_.empty()) FP_RETURN_IF_ERROR(Verify(/*all=*/flights_.empty()));
  FP_RETURN_IF_ERROR(reboot_.Step());
  for (auto& [r, p] : reboot_.TakeEnded()) FP_RETURN_IF_ERROR(Ended(r, std::move(p)));
  return ctx_.sink.Flush();
}

// Checks every command in flight; an invocation still running after patch_timeout is cancelled.
Status ZonePatch::Check() {
  last_check_ = ctx_.clock().SteadyNow();
  poll_.Checked(*last_check_);
  std::vector<Flight> still;
  for (auto& f : flights_) {
    std::vector<InstanceRun> left;
    FP_RETURN_IF_ERROR(CheckFlight(f, left));
    if (!left.empty()) still.push_back({f.command_id, std::move(left), f.started});
  }
  flights_ = std::move(still);
  if (flights_.empty()) poll_.Idle();
  return OkStatus();
}

Status ZonePatch::CheckFlight(Flight& f, std::vector<InstanceRun>& left) {
  auto inv = ctx_.api.ListInvocations(f.command_id);
  if (!inv.ok()) {
    if (inv.error().retryable) {
      left = std::move(f.targets);
      return OkStatus();
    }
    for (auto& r : f.targets) {
      PatchResult p = *r.patch;
      p.status = PatchStatus::kFailed;
      p.error = ToProblem(inv.error());
      FP_RETURN_IF_ERROR(Ended(r, p));
    }
    return OkStatus();
  }
  std::unordered_map<std::string, const InvocationView*> by_id;
  for (const auto& v : *inv) by_id[v.instance_id] = &v;
  const bool expired = ctx_.clock().Now() - f.started >= ctx_.options.patch_timeout;
  std::vector<std::string> to_cancel;
  for (auto& r : f.targets) {
    auto it = by_id.find(r.info.instance_id);
    const std::string s = it == by_id.end() ? "" : it->second->status;
    if (TerminalInvocation(s)) {
      const std::string& why = it->second->status_details;
      finished_.push_back(
          {std::move(r), s, f.started, Undelivered(why) ? why : "", ctx_.clock().SteadyNow()});
    } else if (expired) {
      to_cancel.push_back(r.info.instance_id);
      PatchResult p = *r.patch;
      p.status = PatchStatus::kTimedOut;
      p.command_status = s;
      p.reason = "still " + (s.empty() ? std::string("unreported") : s) + " after " +
                 std::to_string(ctx_.options.patch_timeout.count()) +
                 " s (workflow.timeouts.patch_execution): command cancelled";
      FP_RETURN_IF_ERROR(Ended(r, p));
    } else {
      left.push_back(std::move(r));
    }
  }
  if (!to_cancel.empty()) {
    if (auto c = ctx_.api.CancelCommand(f.command_id, to_cancel); !c.ok()) {
      ctx_.sink.Journal("warning", ctx_.name(), "", Phase::kPatch,
                        "CancelCommand " + f.command_id + " failed: " + c.error().ToString());
    }
  }
  return OkStatus();
}

// Verifies the finished ones with DescribeInstancePatchStates (50 per call) and records verdicts.
// `all` false (commands of the zone's wave still run): only the runs that did not end Success, which
// need no verification, get their verdict now (their postcheck need not wait for the wave's
// stragglers); the others wait, so that the wave's share is verified with the fewest calls.
Status ZonePatch::Verify(bool all) {
  if (!all) {
    auto unverified = std::stable_partition(finished_.begin(), finished_.end(),
                                            [](const Finished& f) { return f.status == "Success"; });
    std::vector<Finished> done(std::make_move_iterator(unverified), std::make_move_iterator(finished_.end()));
    finished_.erase(unverified, finished_.end());
    for (auto& f : done) FP_RETURN_IF_ERROR(Record(f, std::nullopt, std::nullopt));
    return ctx_.sink.Flush();
  }
  std::vector<std::string> ids;
  for (auto& f : finished_)
    if (f.status == "Success") ids.push_back(f.run.info.instance_id);
  std::unordered_map<std::string, PatchStateView> states;
  std::optional<Error> verify_error;
  if (!ids.empty()) {
    auto ps = ctx_.api.DescribePatchStates(ids);
    if (ps.ok()) {
      for (auto& s : *ps) states[s.instance_id] = s;
    } else {
      verify_error = ps.error();
    }
  }
  for (auto& f : std::exchange(finished_, {})) {
    std::optional<PatchCounts> counts;
    if (auto it = states.find(f.run.info.instance_id); it != states.end()) counts = CountsOf(it->second, f);
    FP_RETURN_IF_ERROR(Record(f, counts, f.status == "Success" ? verify_error : std::nullopt));
  }
  return ctx_.sink.Flush();
}

PatchCounts ZonePatch::CountsOf(const PatchStateView& v, const Finished& f) const {
  PatchCounts c;
  c.installed = v.installed + v.installed_other;
  c.missing = v.missing;
  c.failed = v.failed;
  c.installed_pending_reboot = v.installed_pending_reboot;
  c.installed_rejected = v.installed_rejected;
  c.operation = v.operation;
  c.pending_reboot_expected =
      ctx_.options.reboot_option == "NoReboot" && !ctx_.options.fail_on_pending_reboot;
  double started_s = std::chrono::duration<double>(f.started.time_since_epoch()).count();
  c.operation_after_command = v.operation_end_time_s + 5 >= started_s;  // 5 s of clock skew
  return c;
}

// A finished run's verdict (ClassifyPatch); a verified Install with RebootIfNeeded first waits for
// the instance to be back.
Status ZonePatch::Record(Finished& f, const std::optional<PatchCounts>& counts,
                         const std::optional<Error>& verify_error) {
  PatchResult p = *f.run.patch;
  ClassifyPatch(f.status, counts, p);
  if (!f.undelivered.empty())
    p.reason += " (" + f.undelivered + ": the SSM agent never received the command)";
  if (verify_error) p.error = ToProblem(*verify_error);
  if (NeedsRebootWait(ctx_.options, p)) {
    reboot_.Add(std::move(f.run), std::move(p), ctx_.clock().Now(), f.seen_ended);
    return OkStatus();
  }
  return Ended(f.run, p);
}

Status ZonePatch::Ended(const InstanceRun& r, PatchResult p) {
  if (p.finished_at.empty()) p.finished_at = ctx_.Now();
  if (!p.started_at.empty()) p.duration_s = SecondsBetweenIso8601(p.started_at, p.finished_at);
  ended_.emplace_back(r.info.instance_id, p.status);
  return ctx_.sink.Patch(r.info.zone, r.info.instance_id, p);
}

}  // namespace fleetpatch::workflow

// ---------------------------------------------------------------------------------------------
// The patch phase on its own (`--workflow patch`): the pipeline's rollout with nothing to prepare.

namespace fleetpatch::workflow {

Result<PhaseSummary> Workflow::Patch(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  if (options_.dry_run) return PlanPatch(run_id);
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kPrecheck, Phase::kPatch));
  if (options_.backup_enabled) FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kBackup, Phase::kPatch));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  RolloutEnd end;
  FP_RETURN_IF_ERROR(Rollout(run_id, zones, /*prepare=*/false, sink, &end));
  return EndPatch(run_id, sink, end);
}

// A dry run never prechecks, so the plan covers every eligible instance whose precheck could pass:
// the waves it would run, in order, each instance marked with what still has to hold.
Result<PhaseSummary> Workflow::PlanPatch(const std::string& run_id) {
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kScan, Phase::kPatch));
  PhaseSummary summary;
  summary.phase = Phase::kPatch;
  state::InstanceQuery q;
  q.eligible = true;
  q.details = false;
  FP_ASSIGN_OR_RETURN(auto all, store_.QueryInstances(run_id, q));
  std::vector<std::string> keys;
  std::unordered_map<std::string, const InstanceRun*> by_key;
  for (const auto& r : all) {
    if (r.precheck && r.precheck->status != PrecheckStatus::kReady) continue;
    std::string key = r.info.zone + "/" + r.info.instance_id;
    keys.push_back(key);
    by_key[key] = &r;
  }
  auto waves = PlanWaves(keys, options_.canary_size, options_.wave_size);
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t w = 0; w < waves.size(); ++w) {
    for (const auto& key : waves[w]) {
      const InstanceRun& r = *by_key[key];
      plan_.push_back("patch: would run " + options_.patch_document + " (" + options_.patch_operation + ", " +
                      options_.reboot_option + ") on " + r.info.instance_id + " (" + r.info.zone + ") in " +
                      (w == 0 && options_.canary_size > 0 ? std::string("the canary wave")
                                                          : "wave " + std::to_string(w)) +
                      (options_.backup_enabled && options_.backup_required
                           ? ", once its backup is available and"
                           : ", once") +
                      " its precheck passes");
    }
  }
  summary.skipped = static_cast<int64_t>(keys.size());
  return summary;
}

}  // namespace fleetpatch::workflow
