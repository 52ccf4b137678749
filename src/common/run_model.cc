#include "common/run_model.h"

#include <array>
#include <utility>

#include "common/strings.h"

namespace fleetpatch {
namespace {

template <class E, size_t N>
const char* NameOf(const std::array<std::pair<E, const char*>, N>& table, E v) {
  for (const auto& [e, name] : table)
    if (e == v) return name;
  return "unknown";
}

template <class E, size_t N>
bool Parse(const std::array<std::pair<E, const char*>, N>& table, const std::string& s, E* out) {
  for (const auto& [e, name] : table) {
    if (s == name) {
      *out = e;
      return true;
    }
  }
  return false;
}

constexpr std::array<std::pair<Phase, const char*>, 4> kPhases{{{Phase::kScan, "scan"},
                                                                {Phase::kBackup, "backup"},
                                                                {Phase::kPrecheck, "precheck"},
                                                                {Phase::kPatch, "patch"}}};
constexpr std::array<std::pair<RunStatus, const char*>, 5> kRunStatuses{
    {{RunStatus::kRunning, "running"},
     {RunStatus::kSucceeded, "succeeded"},
     {RunStatus::kCompletedWithFailures, "completed_with_failures"},
     {RunStatus::kFailed, "failed"},
     {RunStatus::kInterrupted, "interrupted"}}};
constexpr std::array<std::pair<BackupStatus, const char*>, 6> kBackupStatuses{
    {{BackupStatus::kPending, "pending"},
     {BackupStatus::kAvailable, "available"},
     {BackupStatus::kFailed, "failed"},
     {BackupStatus::kTimedOut, "timed_out"},
     {BackupStatus::kSkipped, "skipped"},
     {BackupStatus::kDisabled, "disabled"}}};
constexpr std::array<std::pair<PrecheckStatus, const char*>, 5> kPrecheckStatuses{
    {{PrecheckStatus::kReady, "ready"},
     {PrecheckStatus::kNotReady, "not_ready"},
     {PrecheckStatus::kUnreachable, "unreachable"},
     {PrecheckStatus::kSkipped, "skipped"},
     {PrecheckStatus::kFailed, "failed"}}};
constexpr std::array<std::pair<PatchStatus, const char*>, 9> kPatchStatuses{
    {{PatchStatus::kPending, "pending"},
     {PatchStatus::kInProgress, "in_progress"},
     {PatchStatus::kSuccess, "success"},
     {PatchStatus::kPartialSuccess, "partial_success"},
     {PatchStatus::kFailed, "failed"},
     {PatchStatus::kTimedOut, "timed_out"},
     {PatchStatus::kSkipped, "skipped"},
     {PatchStatus::kCancelled, "cancelled"},
     {PatchStatus::kInstalledPendingReboot, "installed_pending_reboot"}}};

// Reads j[key] into v when present and not null; missing keys keep the default (old records stay readable).
template <class T>
void Opt(const nlohmann::json& j, const char* key, T& v) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(v);
}

}  // namespace

const char* PhaseName(Phase p) { return NameOf(kPhases, p); }
bool ParsePhase(const std::string& s, Phase* out) { return Parse(kPhases, s, out); }
const char* RunStatusName(RunStatus s) { return NameOf(kRunStatuses, s); }
bool ParseRunStatus(const std::string& s, RunStatus* out) { return Parse(kRunStatuses, s, out); }
const char* BackupStatusName(BackupStatus s) { return NameOf(kBackupStatuses, s); }
bool ParseBackupStatus(const std::string& s, BackupStatus* out) { return Parse(kBackupStatuses, s, out); }
const char* PrecheckStatusName(PrecheckStatus s) { return NameOf(kPrecheckStatuses, s); }
bool ParsePrecheckStatus(const std::string& s, PrecheckStatus* out) {
  return Parse(kPrecheckStatuses, s, out);
}
const char* PatchStatusName(PatchStatus s) { return NameOf(kPatchStatuses, s); }
bool ParsePatchStatus(const std::string& s, PatchStatus* out) { return Parse(kPatchStatuses, s, out); }

void to_json(nlohmann::json& j, const ProblemInfo& v) {
  j = {{"category", v.category}, {"code", v.code}, {"message", v.message}};
}
void from_json(const nlohmann::json& j, ProblemInfo& v) {
  Opt(j, "category", v.category);
  Opt(j, "code", v.code);
  Opt(j, "message", v.message);
}

void to_json(nlohmann::json& j, const LandingZoneInfo& v) {
  j = {{"name", v.name},
       {"account_id", v.account_id},
       {"region", v.region},
       {"role_arn", v.role_arn},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, LandingZoneInfo& v) {
  Opt(j, "name", v.name);
  Opt(j, "account_id", v.account_id);
  Opt(j, "region", v.region);
  Opt(j, "role_arn", v.role_arn);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const InstanceInfo& v) {
  j = {{"zone", v.zone},
       {"account_id", v.account_id},
       {"region", v.region},
       {"instance_id", v.instance_id},
       {"name", v.name},
       {"platform", v.platform},
       {"platform_name", v.platform_name},
       {"state", v.state},
       {"availability_zone", v.availability_zone},
       {"instance_type", v.instance_type},
       {"tags", v.tags},
       {"ssm_ping_status", v.ssm_ping_status},
       {"ssm_agent_version", v.ssm_agent_version},
       {"in_auto_scaling_group", v.in_auto_scaling_group},
       {"eligible", v.eligible},
       {"ineligible_reason", v.ineligible_reason}};
}
void from_json(const nlohmann::json& j, InstanceInfo& v) {
  Opt(j, "zone", v.zone);
  Opt(j, "account_id", v.account_id);
  Opt(j, "region", v.region);
  Opt(j, "instance_id", v.instance_id);
  Opt(j, "name", v.name);
  Opt(j, "platform", v.platform);
  Opt(j, "platform_name", v.platform_name);
  Opt(j, "state", v.state);
  Opt(j, "availability_zone", v.availability_zone);
  Opt(j, "instance_type", v.instance_type);
  Opt(j, "tags", v.tags);
  Opt(j, "ssm_ping_status", v.ssm_ping_status);
  Opt(j, "ssm_agent_version", v.ssm_agent_version);
  Opt(j, "in_auto_scaling_group", v.in_auto_scaling_group);
  Opt(j, "eligible", v.eligible);
  Opt(j, "ineligible_reason", v.ineligible_reason);
}

void to_json(nlohmann::json& j, const CheckFinding& v) {
  j = {{"check", v.check}, {"measured", v.measured}, {"threshold", v.threshold}, {"passed", v.passed}};
}
void from_json(const nlohmann::json& j, CheckFinding& v) {
  Opt(j, "check", v.check);
  Opt(j, "measured", v.measured);
  Opt(j, "threshold", v.threshold);
  Opt(j, "passed", v.passed);
}

void to_json(nlohmann::json& j, const BackupResult& v) {
  j = {{"status", BackupStatusName(v.status)},
       {"ami_id", v.ami_id},
       {"ami_name", v.ami_name},
       {"snapshot_ids", v.snapshot_ids},
       {"cleaned_up", v.cleaned_up},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"duration_s", v.duration_s},
       {"reason", v.reason},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, BackupResult& v) {
  std::string s;
  Opt(j, "status", s);
  ParseBackupStatus(s, &v.status);
  Opt(j, "ami_id", v.ami_id);
  Opt(j, "ami_name", v.ami_name);
  Opt(j, "snapshot_ids", v.snapshot_ids);
  Opt(j, "cleaned_up", v.cleaned_up);
  Opt(j, "started_at", v.started_at);
  Opt(j, "finished_at", v.finished_at);
  Opt(j, "duration_s", v.duration_s);
  Opt(j, "reason", v.reason);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const PrecheckResult& v) {
  j = {{"status", PrecheckStatusName(v.status)},
       {"reasons", v.reasons},
       {"risks", v.risks},
       {"findings", v.findings},
       {"command_id", v.command_id},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"output", v.output},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, PrecheckResult& v) {
  std::string s;
  Opt(j, "status", s);
  ParsePrecheckStatus(s, &v.status);
  Opt(j, "reasons", v.reasons);
  Opt(j, "risks", v.risks);
  Opt(j, "findings", v.findings);
  Opt(j, "command_id", v.command_id);
  Opt(j, "started_at", v.started_at);
  Opt(j, "finished_at", v.finished_at);
  Opt(j, "output", v.output);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const PatchResult& v) {
  j = {{"status", PatchStatusName(v.status)},
       {"wave", v.wave},
       {"command_id", v.command_id},
       {"command_status", v.command_status},
       {"installed", v.installed},
       {"missing", v.missing},
       {"failed", v.failed},
       {"installed_pending_reboot", v.installed_pending_reboot},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"duration_s", v.duration_s},
       {"reason", v.reason},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, PatchResult& v) {
  std::string s;
  Opt(j, "status", s);
  ParsePatchStatus(s, &v.status);
  Opt(j, "wave", v.wave);
  Opt(j, "command_id", v.command_id);
  Opt(j, "command_status", v.command_status);
  Opt(j, "installed", v.installed);
  Opt(j, "missing", v.missing);
  Opt(j, "failed", v.failed);
  Opt(j, "installed_pending_reboot", v.installed_pending_reboot);
  Opt(j, "started_at", v.started_at);
  Opt(j, "finished_at", v.finished_at);
  Opt(j, "duration_s", v.duration_s);
  Opt(j, "reason", v.reason);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const Event& v) {
  j = {{"seq", v.seq},
       {"time", v.time},
       {"level", v.level},
       {"zone", v.zone},
       {"instance_id", v.instance_id},
       {"phase", v.phase},
       {"message", v.message}};
}
void from_json(const nlohmann::json& j, Event& v) {
  Opt(j, "seq", v.seq);
  Opt(j, "time", v.time);
  Opt(j, "level", v.level);
  Opt(j, "zone", v.zone);
  Opt(j, "instance_id", v.instance_id);
  Opt(j, "phase", v.phase);
  Opt(j, "message", v.message);
}

void to_json(nlohmann::json& j, const RunInfo& v) {
  j = {{"run_id", v.run_id},
       {"workflow", v.workflow},
       {"created_at", v.created_at},
       {"updated_at", v.updated_at},
       {"user", v.user},
       {"host", v.host},
       {"dry_run", v.dry_run},
       {"status", RunStatusName(v.status)},
       {"config", v.config},
       {"phases_completed", v.phases_completed}};
}
void from_json(const nlohmann::json& j, RunInfo& v) {
  Opt(j, "run_id", v.run_id);
  Opt(j, "workflow", v.workflow);
  Opt(j, "created_at", v.created_at);
  Opt(j, "updated_at", v.updated_at);
  Opt(j, "user", v.user);
  Opt(j, "host", v.host);
  Opt(j, "dry_run", v.dry_run);
  std::string s;
  Opt(j, "status", s);
  ParseRunStatus(s, &v.status);
  Opt(j, "config", v.config);
  Opt(j, "phases_completed", v.phases_completed);
}

// ---- The safety loop ------------------------------------------------------------------------

namespace {

constexpr std::array<std::pair<RebootStatus, const char*>, 4> kRebootStatuses{
    {{RebootStatus::kWaiting, "waiting"},
     {RebootStatus::kBack, "back"},
     {RebootStatus::kFailed, "failed"},
     {RebootStatus::kNotNeeded, "not_needed"}}};
constexpr std::array<std::pair<PostcheckStatus, const char*>, 4> kPostcheckStatuses{
    {{PostcheckStatus::kHealthy, "healthy"},
     {PostcheckStatus::kDegraded, "degraded"},
     {PostcheckStatus::kUnreachable, "unreachable"},
     {PostcheckStatus::kSkipped, "skipped"}}};
constexpr std::array<std::pair<RollbackStatus, const char*>, 6> kRollbackStatuses{
    {{RollbackStatus::kPending, "rollback_pending"},
     {RollbackStatus::kInProgress, "rollback_in_progress"},
     {RollbackStatus::kRolledBack, "rolled_back"},
     {RollbackStatus::kFailed, "rollback_failed"},
     {RollbackStatus::kUnsupported, "rollback_unsupported"},
     {RollbackStatus::kIneligible, "rollback_ineligible"}}};
constexpr std::array<std::pair<StandbyStatus, const char*>, 6> kStandbyStatuses{
    {{StandbyStatus::kInStandby, "in_standby"},
     {StandbyStatus::kExitedStandby, "exited_standby"},
     {StandbyStatus::kLeftInStandby, "left_in_standby"},
     {StandbyStatus::kSuspended, "group_suspended"},
     {StandbyStatus::kResumed, "group_resumed"},
     {StandbyStatus::kSkipped, "skipped"}}};

template <class E, size_t N>
void OptStatus(const nlohmann::json& j, const std::array<std::pair<E, const char*>, N>& table, E& v) {
  std::string s;
  Opt(j, "status", s);
  Parse(table, s, &v);
}

}  // namespace

const char* RebootStatusName(RebootStatus s) { return NameOf(kRebootStatuses, s); }
bool ParseRebootStatus(const std::string& s, RebootStatus* out) { return Parse(kRebootStatuses, s, out); }
const char* PostcheckStatusName(PostcheckStatus s) { return NameOf(kPostcheckStatuses, s); }
bool ParsePostcheckStatus(const std::string& s, PostcheckStatus* out) {
  return Parse(kPostcheckStatuses, s, out);
}
const char* RollbackStatusName(RollbackStatus s) { return NameOf(kRollbackStatuses, s); }
bool ParseRollbackStatus(const std::string& s, RollbackStatus* out) {
  return Parse(kRollbackStatuses, s, out);
}
const char* StandbyStatusName(StandbyStatus s) { return NameOf(kStandbyStatuses, s); }
bool ParseStandbyStatus(const std::string& s, StandbyStatus* out) { return Parse(kStandbyStatuses, s, out); }
bool StandbyNeedsRestore(StandbyStatus s) {
  return s == StandbyStatus::kInStandby || s == StandbyStatus::kSuspended;
}

void to_json(nlohmann::json& j, const RebootResult& v) {
  j = {{"status", RebootStatusName(v.status)},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"reason", v.reason}};
}
void from_json(const nlohmann::json& j, RebootResult& v) {
  OptStatus(j, kRebootStatuses, v.status);
  Opt(j, "started_at", v.started_at);
  Opt(j, "finished_at", v.finished_at);
  Opt(j, "reason", v.reason);
}

void to_json(nlohmann::json& j, const PostcheckResult& v) {
  j = {{"status", PostcheckStatusName(v.status)},
       {"regressions", v.regressions},
       {"command_id", v.command_id},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, PostcheckResult& v) {
  OptStatus(j, kPostcheckStatuses, v.status);
  Opt(j, "regressions", v.regressions);
  Opt(j, "command_id", v.command_id);
  Opt(j, "started_at", v.started_at);
  Opt(j, "finished_at", v.finished_at);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const RollbackResult& v) {
  j = {{"status", RollbackStatusName(v.status)},
       {"ami_id", v.ami_id},
       {"task_id", v.task_id},
       {"task_state", v.task_state},
       {"automatic", v.automatic},
       {"reason", v.reason},
       {"postcheck", v.postcheck},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, RollbackResult& v) {
  OptStatus(j, kRollbackStatuses, v.status);
  Opt(j, "ami_id", v.ami_id);
  Opt(j, "task_id", v.task_id);
  Opt(j, "task_state", v.task_state);
  Opt(j, "automatic", v.automatic);
  Opt(j, "reason", v.reason);
  Opt(j, "postcheck", v.postcheck);
  Opt(j, "started_at", v.started_at);
  Opt(j, "finished_at", v.finished_at);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const StandbyResult& v) {
  j = {{"status", StandbyStatusName(v.status)},
       {"group", v.group},
       {"mode", v.mode},
       {"entered_at", v.entered_at},
       {"exited_at", v.exited_at},
       {"reason", v.reason},
       {"error", v.error}};
}
void from_json(const nlohmann::json& j, StandbyResult& v) {
  OptStatus(j, kStandbyStatuses, v.status);
  Opt(j, "group", v.group);
  Opt(j, "mode", v.mode);
  Opt(j, "entered_at", v.entered_at);
  Opt(j, "exited_at", v.exited_at);
  Opt(j, "reason", v.reason);
  Opt(j, "error", v.error);
}

void to_json(nlohmann::json& j, const TimelineEntry& v) {
  j = {{"step", v.step},
       {"status", v.status},
       {"started_at", v.started_at},
       {"finished_at", v.finished_at},
       {"detail", v.detail}};
}

std::vector<TimelineEntry> InstanceTimeline(const InstanceRun& r) {
  std::vector<TimelineEntry> out;
  if (r.backup) {
    out.push_back({"backup", BackupStatusName(r.backup->status), r.backup->started_at, r.backup->finished_at,
                   r.backup->reason.empty() ? r.backup->ami_id : r.backup->reason});
  }
  if (r.precheck) {
    out.push_back({"precheck", PrecheckStatusName(r.precheck->status), r.precheck->started_at,
                   r.precheck->finished_at, Join(r.precheck->reasons, "; ")});
  }
  if (r.standby) {
    out.push_back(
        {"standby", r.standby->mode, r.standby->entered_at, r.standby->entered_at, r.standby->group});
  }
  if (r.patch) {
    out.push_back({"patch", PatchStatusName(r.patch->status), r.patch->started_at, r.patch->finished_at,
                   r.patch->reason});
  }
  if (r.reboot) {
    out.push_back({"reboot", RebootStatusName(r.reboot->status), r.reboot->started_at, r.reboot->finished_at,
                   r.reboot->reason});
  }
  if (r.postcheck) {
    out.push_back({"postcheck", PostcheckStatusName(r.postcheck->status), r.postcheck->started_at,
                   r.postcheck->finished_at, Join(r.postcheck->regressions, "; ")});
  }
  if (r.rollback) {
    out.push_back({"rollback", RollbackStatusName(r.rollback->status), r.rollback->started_at,
                   r.rollback->finished_at, r.rollback->reason});
  }
  if (r.standby) {
    out.push_back({"standby_exit", StandbyStatusName(r.standby->status), r.standby->exited_at,
                   r.standby->exited_at, r.standby->reason});
  }
  return out;
}

}  // namespace fleetpatch
