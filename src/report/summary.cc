#include "report/summary.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"
#include "report/report_format.h"
#include "report/run_source.h"
#include "report/text_util.h"

namespace fleetpatch::report {
namespace {

size_t PhaseIndex(Phase p) {
  for (size_t i = 0; i < kAllPhases.size(); ++i)
    if (kAllPhases[i] == p) return i;
  return 0;
}

// An error line names the first few failed checks: an instance with 80 full disks gives one short
// line, not 80 (the report's precheck findings keep every one).
std::string ErrorReasons(const std::vector<std::string>& reasons) {
  constexpr size_t kShown = 5;
  if (reasons.size() <= kShown) return Join(reasons, "; ");
  std::vector<std::string> shown(reasons.begin(), reasons.begin() + kShown);
  return fmt::format("{}; and {} more (the report's precheck findings list every one)", Join(shown, "; "),
                     reasons.size() - kShown);
}

std::array<PhaseSummary, 4> EmptyPhases() {
  std::array<PhaseSummary, 4> phases;
  for (size_t i = 0; i < kAllPhases.size(); ++i) phases[i].phase = kAllPhases[i];
  return phases;
}

void Count(std::array<PhaseSummary, 4>& phases, const InstanceRun& inst) {
  for (size_t i = 0; i < kAllPhases.size(); ++i) {
    phases[i].counts.Add(PhaseOutcome(inst, kAllPhases[i]));
    std::string status = PhaseStatus(inst, kAllPhases[i]);
    if (!status.empty()) ++phases[i].by_status[status];
  }
}

// The category of a problem that is an instance's own outcome (its AMI failed, its patch left
// updates missing), not an error an AWS API answered: those keep the API error's own category.
constexpr const char* kInstanceCategory = "instance";

ProblemInfo Synthesised(const char* category, const char* code, std::string message) {
  return ProblemInfo{category, code, std::move(message)};
}

// The postcheck's problem: degraded or unreachable, each regression named.
ProblemInfo PostcheckProblem(const PostcheckResult& p) {
  if (p.status != PostcheckStatus::kDegraded && p.status != PostcheckStatus::kUnreachable) return {};
  std::string what;
  for (const auto& g : p.regressions) what += (what.empty() ? "" : "; ") + g;
  if (p.status == PostcheckStatus::kDegraded)
    return Synthesised(kInstanceCategory, "PostcheckDegraded", what);
  return p.error.empty() ? Synthesised("connectivity", "PostcheckUnreachable", what) : p.error;
}

// A rollback that was needed and did not happen: failed, unsupported (instance-store root), or
// without a verified AMI.
ProblemInfo RollbackProblem(const RollbackResult& r) {
  switch (r.status) {
    case RollbackStatus::kFailed:
      return r.error.empty() ? Synthesised(kInstanceCategory, "RollbackFailed", r.reason) : r.error;
    case RollbackStatus::kUnsupported:
      return Synthesised(kInstanceCategory, "RollbackUnsupported", r.reason);
    case RollbackStatus::kIneligible:
      return Synthesised(kInstanceCategory, "RollbackIneligible", r.reason);
    default:
      return {};
  }
}

// Counts the instance's postcheck and rollback and lists their problems.
void CountSafety(const InstanceRun& inst, RunSummary* s) {
  auto add = [&](const char* phase, ProblemInfo problem) {
    if (problem.empty()) return;
    s->errors.push_back({inst.info.zone, inst.info.account_id, inst.info.region, inst.info.instance_id,
                         inst.info.name, phase, std::move(problem)});
  };
  if (inst.postcheck) {
    ++s->postcheck_by_status[PostcheckStatusName(inst.postcheck->status)];
    add("postcheck", PostcheckProblem(*inst.postcheck));
  }
  if (inst.rollback) {
    ++s->rollback_by_status[RollbackStatusName(inst.rollback->status)];
    if (inst.rollback->status == RollbackStatus::kRolledBack) s->rolled_back.push_back(inst.info.instance_id);
    if (inst.rollback->status == RollbackStatus::kFailed) s->rollback_failed.push_back(inst.info.instance_id);
    add("rollback", RollbackProblem(*inst.rollback));
  }
}

std::string ByStatusText(const std::map<std::string, int64_t>& by_status) {
  std::string out;
  for (const auto& [status, n] : by_status) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, status);
  return out;
}

}  // namespace

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kSucceeded:
      return "succeeded";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kSkipped:
      return "skipped";
    case Outcome::kPending:
      return "pending";
    case Outcome::kNotRun:
      return "not_run";
  }
  return "not_run";
}

int64_t OutcomeCounts::Get(Outcome o) const {
  switch (o) {
    case Outcome::kSucceeded:
      return succeeded;
    case Outcome::kFailed:
      return failed;
    case Outcome::kSkipped:
      return skipped;
    case Outcome::kPending:
      return pending;
    case Outcome::kNotRun:
      return not_run;
  }
  return 0;
}

void OutcomeCounts::Add(Outcome o) {
  switch (o) {
    case Outcome::kSucceeded:
      ++succeeded;
      break;
    case Outcome::kFailed:
      ++failed;
      break;
    case Outcome::kSkipped:
      ++skipped;
      break;
    case Outcome::kPending:
      ++pending;
      break;
    case Outcome::kNotRun:
      ++not_run;
      break;
  }
}

Outcome PhaseOutcome(const InstanceRun& inst, Phase phase) {
  switch (phase) {
    case Phase::kScan:
      return inst.info.eligible ? Outcome::kSucceeded : Outcome::kSkipped;
    case Phase::kBackup:
      if (!inst.backup) return Outcome::kNotRun;
      switch (inst.backup->status) {
        case BackupStatus::kAvailable:
          return Outcome::kSucceeded;
        case BackupStatus::kFailed:
        case BackupStatus::kTimedOut:
          return Outcome::kFailed;
        case BackupStatus::kSkipped:
        case BackupStatus::kDisabled:
          return Outcome::kSkipped;
        case BackupStatus::kPending:
          return Outcome::kPending;
      }
      break;
    case Phase::kPrecheck:
      if (!inst.precheck) return Outcome::kNotRun;
      switch (inst.precheck->status) {
        case PrecheckStatus::kReady:
          return Outcome::kSucceeded;
        case PrecheckStatus::kNotReady:
        case PrecheckStatus::kUnreachable:
        case PrecheckStatus::kFailed:
          return Outcome::kFailed;
        case PrecheckStatus::kSkipped:
          return Outcome::kSkipped;
      }
      break;
    case Phase::kPatch:
      if (!inst.patch) return Outcome::kNotRun;
      switch (inst.patch->status) {
        case PatchStatus::kSuccess:
        case PatchStatus::kInstalledPendingReboot:
          return Outcome::kSucceeded;
        case PatchStatus::kPartialSuccess:
        case PatchStatus::kFailed:
        case PatchStatus::kTimedOut:
        case PatchStatus::kCancelled:
          return Outcome::kFailed;
        case PatchStatus::kSkipped:
          return Outcome::kSkipped;
        case PatchStatus::kPending:
        case PatchStatus::kInProgress:
          return Outcome::kPending;
      }
      break;
  }
  return Outcome::kNotRun;
}

std::string PhaseStatus(const InstanceRun& inst, Phase phase) {
  switch (phase) {
    case Phase::kScan:
      return inst.info.eligible ? "eligible" : "ineligible";
    case Phase::kBackup:
      return inst.backup ? BackupStatusName(inst.backup->status) : "";
    case Phase::kPrecheck:
      return inst.precheck ? PrecheckStatusName(inst.precheck->status) : "";
    case Phase::kPatch:
      return inst.patch ? PatchStatusName(inst.patch->status) : "";
  }
  return "";
}

ProblemInfo PhaseProblem(const InstanceRun& inst, Phase phase) {
  switch (phase) {
    case Phase::kScan:
      return {};
    case Phase::kBackup: {
      if (!inst.backup) return {};
      const BackupResult& b = *inst.backup;
      if (!b.error.empty()) return b.error;
      if (b.status == BackupStatus::kFailed)
        return Synthesised(kInstanceCategory, "BackupFailed",
                           b.reason.empty() ? "the AMI did not become available" : b.reason);
      if (b.status == BackupStatus::kTimedOut)
        return Synthesised("timeout", "BackupTimedOut",
                           b.reason.empty() ? "the AMI did not become available in time" : b.reason);
      return {};
    }
    case Phase::kPrecheck: {
      if (!inst.precheck) return {};
      const PrecheckResult& p = *inst.precheck;
      if (!p.error.empty()) return p.error;
      std::string reasons = ErrorReasons(p.reasons);
      if (p.status == PrecheckStatus::kNotReady)
        return Synthesised("validation", "PrecheckNotReady",
                           reasons.empty() ? "the instance did not pass its prechecks" : reasons);
      if (p.status == PrecheckStatus::kUnreachable)
        return Synthesised("connectivity", "PrecheckUnreachable",
                           reasons.empty() ? "the precheck command could not reach the instance" : reasons);
      if (p.status == PrecheckStatus::kFailed)
        return Synthesised(kInstanceCategory, "PrecheckFailed",
                           reasons.empty() ? "the precheck command failed" : reasons);
      return {};
    }
    case Phase::kPatch: {
      if (!inst.patch) return {};
      const PatchResult& p = *inst.patch;
      if (!p.error.empty()) return p.error;
      std::string detail = p.reason;
      switch (p.status) {
        case PatchStatus::kPartialSuccess:
          if (detail.empty()) detail = fmt::format("{} update(s) failed to install", p.failed);
          return Synthesised(kInstanceCategory, "PatchPartialSuccess", detail);
        case PatchStatus::kFailed:
          if (detail.empty())
            detail = "the patch command failed" +
                     (p.command_status.empty() ? std::string() : " (SSM status " + p.command_status + ")");
          return Synthesised(kInstanceCategory, "PatchFailed", detail);
        case PatchStatus::kTimedOut:
          return Synthesised("timeout", "PatchTimedOut",
                             detail.empty() ? "the patch command timed out" : detail);
        case PatchStatus::kCancelled:
          return Synthesised("interrupted", "PatchCancelled",
                             detail.empty() ? "the patch command was cancelled" : detail);
        default:
          return {};
      }
    }
  }
  return {};
}

Outcome CombinedOutcome(const std::array<Outcome, 4>& o, const std::vector<Phase>& phases) {
  bool pending = false;
  for (Phase phase : phases) {
    Outcome x = o[PhaseIndex(phase)];
    if (x == Outcome::kFailed) return Outcome::kFailed;
    pending = pending || x == Outcome::kPending;
  }
  if (pending) return Outcome::kPending;
  if (o[PhaseIndex(Phase::kScan)] != Outcome::kSucceeded) return Outcome::kSkipped;  // ineligible
  return phases.empty() ? Outcome::kNotRun : o[PhaseIndex(phases.back())];
}

Outcome InstanceOutcome(const InstanceRun& inst, const std::vector<Phase>& phases) {
  std::array<Outcome, 4> o{};
  for (size_t i = 0; i < kAllPhases.size(); ++i) o[i] = PhaseOutcome(inst, kAllPhases[i]);
  return CombinedOutcome(o, phases);
}

bool ZoneSummary::HasFailures() const {
  if (!error.empty()) return true;
  return std::any_of(phases.begin(), phases.end(), [](const PhaseSummary& p) { return p.counts.failed > 0; });
}

namespace {

size_t ZoneIndex(RunSummary& s, const std::string& name) {
  for (size_t i = 0; i < s.zones.size(); ++i)
    if (s.zones[i].zone == name) return i;
  ZoneSummary z;
  z.zone = name;
  z.phases = EmptyPhases();
  s.zones.push_back(std::move(z));
  return s.zones.size() - 1;
}

void AddZones(const std::vector<LandingZoneInfo>& zones, RunSummary& s) {
  for (const LandingZoneInfo& lz : zones) {
    ZoneSummary& z = s.zones[ZoneIndex(s, lz.name)];
    z.account_id = lz.account_id;
    z.region = lz.region;
    z.role_arn = lz.role_arn;
    z.error = lz.error;
    if (!lz.error.empty()) {
      ++s.zones_failed;
      s.errors.push_back({lz.name, lz.account_id, lz.region, "", "", "zone", lz.error});
    }
  }
}

// The counts of one instance in the run's and its zone's summary, its errors and what it leaves.
void CountInstance(const InstanceRun& inst, ZoneSummary& z, RunSummary& s) {
  ++s.instances;
  if (inst.info.eligible) ++s.eligible;
  Count(s.phases, inst);
  if (z.account_id.empty()) z.account_id = inst.info.account_id;
  if (z.region.empty()) z.region = inst.info.region;
  ++z.instances;
  if (inst.info.eligible) ++z.eligible;
  Count(z.phases, inst);
  for (Phase phase : {Phase::kBackup, Phase::kPrecheck, Phase::kPatch}) {
    ProblemInfo problem = PhaseProblem(inst, phase);
    if (problem.empty()) continue;
    s.errors.push_back({inst.info.zone, inst.info.account_id, inst.info.region, inst.info.instance_id,
                        inst.info.name, PhaseName(phase), std::move(problem)});
  }
  CountSafety(inst, &s);
  if (inst.patch) {
    s.patch_totals.any = true;
    s.patch_totals.installed += inst.patch->installed;
    s.patch_totals.missing += inst.patch->missing;
    s.patch_totals.failed += inst.patch->failed;
    s.patch_totals.installed_pending_reboot += inst.patch->installed_pending_reboot;
  }
  if (LeftInAutoScaling(inst)) {
    s.auto_scaling_left.push_back({inst.info.zone, inst.info.instance_id, inst.standby->group,
                                   StandbyStatusName(inst.standby->status)});
  }
}

// Instances counted per zone and combination of phase outcomes (at most 5^4 combinations).
using OutcomeCombos = std::map<std::pair<size_t, std::array<Outcome, 4>>, int64_t>;

void AddOverall(const OutcomeCombos& combos, RunSummary& s) {
  for (const auto& [key, count] : combos) {
    Outcome o = CombinedOutcome(key.second, s.phases_present);
    for (int64_t k = 0; k < count; ++k) {
      s.overall.Add(o);
      s.zones[key.first].overall.Add(o);
    }
  }
}

}  // namespace

Result<RunSummary> Summarize(const RunSource& source) {
  RunSummary s;
  s.overall_status = RunStatusName(source.run().status);
  s.phases = EmptyPhases();
  AddZones(source.zones(), s);
  // An instance's overall outcome depends on which phases are present in the whole run, known only
  // after the pass: count the combinations of phase outcomes and combine them at the end (AddOverall)
  // instead of a second pass.
  OutcomeCombos combos;
  std::array<bool, 4> present{};
  present[0] = !source.zones().empty();
  FP_RETURN_IF_ERROR(source.ForEachInstance("", [&](const InstanceRun& inst) -> Status {
    const size_t zi = ZoneIndex(s, inst.info.zone);
    CountInstance(inst, s.zones[zi], s);
    present[0] = true;
    std::array<Outcome, 4> outcomes{};
    for (size_t i = 0; i < kAllPhases.size(); ++i) {
      outcomes[i] = PhaseOutcome(inst, kAllPhases[i]);
      if (outcomes[i] != Outcome::kNotRun) present[i] = true;
    }
    ++combos[{zi, outcomes}];
    return OkStatus();
  }));
  for (size_t i = 0; i < kAllPhases.size(); ++i)
    if (present[i]) s.phases_present.push_back(kAllPhases[i]);
  AddOverall(combos, s);
  FP_RETURN_IF_ERROR(source.ForEachEvent([&](const Event&) -> Status {
    ++s.events;
    return OkStatus();
  }));
  return s;
}

bool LeftInAutoScaling(const InstanceRun& instance) {
  return instance.standby && (StandbyNeedsRestore(instance.standby->status) ||
                              instance.standby->status == StandbyStatus::kLeftInStandby);
}

RunSummary Summarize(const RunSnapshot& snap) {
  // A snapshot in memory cannot fail to be read.
  Result<RunSummary> s = Summarize(SnapshotSource(snap));
  return std::move(s).value();
}

std::string AutoScalingLeftText(const RunSummary& s);

std::string FormatSummaryText(const RunSnapshot& snap, const RunSummary& s) {
  return FormatSummaryText(snap.run, s);
}

std::string FormatSummaryText(const RunInfo& run, const RunSummary& s) {
  // Run ids, zone names and messages may hold anything; TerminalSafe keeps escape sequences out.
  std::string out = fmt::format("Run {} ({}{}): {}\n", TerminalSafe(run.run_id), TerminalSafe(run.workflow),
                                run.dry_run ? ", dry run" : "", s.overall_status);
  out += fmt::format("  {} instance(s) in {} landing zone(s), {} eligible", s.instances, s.zones.size(),
                     s.eligible);
  if (s.zones_failed > 0) out += fmt::format(", {} zone(s) failed", s.zones_failed);
  out += "\n";
  for (Phase phase : s.phases_present) {
    const PhaseSummary& p = s.phases[PhaseIndex(phase)];
    out += fmt::format("  {:<9} {} succeeded, {} failed, {} skipped", PhaseName(phase), p.counts.succeeded,
                       p.counts.failed, p.counts.skipped);
    if (p.counts.pending > 0) out += fmt::format(", {} pending", p.counts.pending);
    if (p.counts.not_run > 0) out += fmt::format(", {} not run", p.counts.not_run);
    if (auto it = p.by_status.find(PatchStatusName(PatchStatus::kInstalledPendingReboot));
        it != p.by_status.end()) {
      out += fmt::format(" ({} of them installed, pending reboot)", it->second);
    }
    out += "\n";
  }
  if (!s.postcheck_by_status.empty())
    out += fmt::format("  {:<9} {}\n", "postcheck", ByStatusText(s.postcheck_by_status));
  if (!s.rollback_by_status.empty())
    out += fmt::format("  {:<9} {}\n", "rollback", ByStatusText(s.rollback_by_status));
  if (!s.errors.empty()) {
    out += fmt::format("  {} error(s):\n", s.errors.size());
    constexpr size_t kMaxListed = 20;  // the full list is in the reports
    for (size_t i = 0; i < s.errors.size() && i < kMaxListed; ++i) {
      const ErrorEntry& e = s.errors[i];
      out += fmt::format("    [{}] {} / {}{}{}: {}: {}\n", TerminalSafe(e.problem.category),
                         TerminalSafe(e.zone), e.phase, e.instance_id.empty() ? "" : " / ",
                         TerminalSafe(e.instance_id), TerminalSafe(e.problem.code),
                         TerminalSafe(e.problem.message));
    }
    if (s.errors.size() > kMaxListed)
      out += fmt::format("    ... and {} more (see the reports)\n", s.errors.size() - kMaxListed);
  }
  out += AutoScalingLeftText(s);
  return out;
}

// What fleetpatch left in Standby or suspended, so nobody has to find it in the console.
std::string AutoScalingLeftText(const RunSummary& s) {
  if (s.auto_scaling_left.empty()) return "";
  std::string out =
      fmt::format("  {} instance(s) left in Standby or with their Auto Scaling group suspended:\n",
                  s.auto_scaling_left.size());
  constexpr size_t kMaxListed = 20;
  for (size_t i = 0; i < s.auto_scaling_left.size() && i < kMaxListed; ++i) {
    const AutoScalingLeftover& l = s.auto_scaling_left[i];
    out += fmt::format("    {} / {}: {} in {}\n", TerminalSafe(l.zone), TerminalSafe(l.instance_id), l.status,
                       TerminalSafe(l.group));
  }
  if (s.auto_scaling_left.size() > kMaxListed)
    out += fmt::format("    ... and {} more (see the reports)\n", s.auto_scaling_left.size() - kMaxListed);
  out += "  (`fleetpatch --resume` restores in_standby and group_suspended; left_in_standby needs a human)\n";
  return out;
}

std::string TimelineText(const InstanceRun& instance) {
  std::string out;
  for (const TimelineEntry& e : InstanceTimeline(instance)) {
    out += fmt::format("{}{}={}", out.empty() ? "" : "; ", e.step, e.status);
  }
  return out;
}

}  // namespace fleetpatch::report
