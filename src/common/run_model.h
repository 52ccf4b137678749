// The run model: what one fleetpatch run found and did, per landing zone and instance and phase.
// Plain values shared by the workflow (which fills them), the state store (which persists them) and
// the reports (which render them). Status strings are the stable vocabulary used in every report
// format and the state store; the enums below are the only place they are spelled.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace fleetpatch {

enum class Phase { kScan, kBackup, kPrecheck, kPatch };
const char* PhaseName(Phase p);                     // "scan", "backup", "precheck", "patch"
bool ParsePhase(const std::string& s, Phase* out);  // inverse of PhaseName

enum class RunStatus { kRunning, kSucceeded, kCompletedWithFailures, kFailed, kInterrupted };
const char* RunStatusName(
    RunStatus s);  // "running", "succeeded", "completed_with_failures", "failed", "interrupted"
bool ParseRunStatus(const std::string& s, RunStatus* out);

// One problem, as reports show it: category is CategoryName() of the ErrorCategory.
struct ProblemInfo {
  std::string category;  // "authentication", "timeout", ...
  std::string code;      // AWS error code or a fleetpatch code such as "BackupTimedOut"
  std::string message;
  bool empty() const { return code.empty() && message.empty(); }
};

struct LandingZoneInfo {
  std::string name;
  std::string account_id;
  std::string region;
  std::string role_arn;
  // Set when the zone as a whole failed (e.g. its role could not be assumed).
  ProblemInfo error;
};

// What scan learned about an instance.
struct InstanceInfo {
  std::string zone;  // landing zone name
  std::string account_id;
  std::string region;
  std::string instance_id;
  std::string name;           // the Name tag, untrusted text
  std::string platform;       // "linux" | "windows" | "" (unknown)
  std::string platform_name;  // SSM PlatformName, e.g. "Amazon Linux"
  std::string state;          // EC2 state: running, stopped, ...
  std::string availability_zone;
  std::string instance_type;
  std::map<std::string, std::string> tags;  // untrusted text
  std::string ssm_ping_status;              // "Online" | "ConnectionLost" | "Inactive" | "NotRegistered"
  std::string ssm_agent_version;
  bool in_auto_scaling_group = false;
  bool eligible = false;
  std::string ineligible_reason;  // empty when eligible
};

enum class BackupStatus { kPending, kAvailable, kFailed, kTimedOut, kSkipped, kDisabled };
const char* BackupStatusName(
    BackupStatus s);  // "pending", "available", "failed", "timed_out", "skipped", "disabled"
bool ParseBackupStatus(const std::string& s, BackupStatus* out);

struct BackupResult {
  BackupStatus status = BackupStatus::kPending;
  std::string ami_id;
  std::string ami_name;
  std::vector<std::string> snapshot_ids;
  bool cleaned_up = false;  // a failed/timed-out AMI was deregistered and its snapshots deleted
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;
  double duration_s = 0;
  std::string reason;  // why skipped
  ProblemInfo error;
};

enum class PrecheckStatus { kReady, kNotReady, kUnreachable, kSkipped, kFailed };
const char* PrecheckStatusName(PrecheckStatus s);  // "ready", "not_ready", "unreachable", "skipped", "failed"
bool ParsePrecheckStatus(const std::string& s, PrecheckStatus* out);

struct CheckFinding {
  std::string check;      // "disk_free:/", "load_per_cpu", "memory_free", "service:sshd", "pending_reboot"
  std::string measured;   // "4.2%" ...
  std::string threshold;  // ">= 10%" ...
  bool passed = true;
};

struct PrecheckResult {
  PrecheckStatus status = PrecheckStatus::kSkipped;
  std::vector<std::string> reasons;  // every failed threshold, with its measured value
  std::vector<std::string> risks;    // listed even for ready instances
  std::vector<CheckFinding> findings;
  std::string command_id;
  std::string started_at;
  std::string finished_at;
  std::string output;  // raw script output (untrusted text; truncated)
  ProblemInfo error;
};

// kInstalledPendingReboot: installed with RebootOption=NoReboot, chosen on purpose, and some patches
// wait for a reboot the operator will do. An outcome of its own: not an error, not a failure.
enum class PatchStatus {
  kPending,
  kInProgress,
  kSuccess,
  kPartialSuccess,
  kFailed,
  kTimedOut,
  kSkipped,
  kCancelled,
  kInstalledPendingReboot
};
// "pending", "in_progress", "success", "partial_success", "failed", "timed_out", "skipped", "cancelled",
// "installed_pending_reboot"
const char* PatchStatusName(PatchStatus s);
bool ParsePatchStatus(const std::string& s, PatchStatus* out);

struct PatchResult {
  PatchStatus status = PatchStatus::kPending;
  int wave = 0;  // 0 = canary
  std::string command_id;
  std::string command_status;  // SSM invocation status: Success, Failed, TimedOut, ...
  int64_t installed = 0;
  int64_t missing = 0;
  int64_t failed = 0;
  int64_t installed_pending_reboot = 0;
  std::string started_at;
  std::string finished_at;
  double duration_s = 0;
  std::string reason;  // why skipped / partial
  ProblemInfo error;
};

// ---- The safety loop (docs/safety.md): reboot wait, postcheck, rollback, Auto Scaling standby.

// The wait after a RebootIfNeeded patch: agent Online and status checks ok within timeouts.reboot.
enum class RebootStatus { kWaiting, kBack, kFailed, kNotNeeded };
const char* RebootStatusName(RebootStatus s);  // "waiting", "back", "failed", "not_needed"
bool ParseRebootStatus(const std::string& s, RebootStatus* out);

struct RebootResult {
  RebootStatus status = RebootStatus::kWaiting;
  std::string started_at;  // when the patch command ended
  std::string finished_at;
  std::string reason;  // failed: what was still missing at the deadline
};

enum class PostcheckStatus { kHealthy, kDegraded, kUnreachable, kSkipped };
const char* PostcheckStatusName(PostcheckStatus s);  // "healthy", "degraded", "unreachable", "skipped"
bool ParsePostcheckStatus(const std::string& s, PostcheckStatus* out);

struct PostcheckResult {
  PostcheckStatus status = PostcheckStatus::kSkipped;
  std::vector<std::string> regressions;  // degraded: each regression; unreachable: the reason
  std::string command_id;
  std::string started_at;
  std::string finished_at;
  ProblemInfo error;
};

// kIneligible: no verified AMI of this run (never touched); kUnsupported: instance-store root.
enum class RollbackStatus { kPending, kInProgress, kRolledBack, kFailed, kUnsupported, kIneligible };
// "rollback_pending", "rollback_in_progress", "rolled_back", "rollback_failed", "rollback_unsupported",
// "rollback_ineligible"
const char* RollbackStatusName(RollbackStatus s);
bool ParseRollbackStatus(const std::string& s, RollbackStatus* out);

struct RollbackResult {
  RollbackStatus status = RollbackStatus::kPending;
  std::string ami_id;
  std::string task_id;     // the ReplaceRootVolumeTask: a resumed run polls it, never starts another
  std::string task_state;  // EC2's last word on it
  bool automatic = false;  // patch.rollback: auto (counts against the error budget)
  std::string reason;      // why rolled back, or why not
  std::string postcheck;   // the postcheck status after the rollback ("" until it ran)
  std::string started_at;
  std::string finished_at;
  ProblemInfo error;
};

// Auto Scaling membership handled for the patch. kInStandby and kSuspended are the states a
// crash can leave behind; --resume restores them and the reports list any that remain.
enum class StandbyStatus { kInStandby, kExitedStandby, kLeftInStandby, kSuspended, kResumed, kSkipped };
// "in_standby", "exited_standby", "left_in_standby", "group_suspended", "group_resumed", "skipped"
const char* StandbyStatusName(StandbyStatus s);
bool ParseStandbyStatus(const std::string& s, StandbyStatus* out);
// True for the states that leave the group changed by fleetpatch.
bool StandbyNeedsRestore(StandbyStatus s);

struct StandbyResult {
  StandbyStatus status = StandbyStatus::kSkipped;
  std::string group;  // Auto Scaling group name (untrusted text)
  std::string mode;   // standby | suspend | skip
  std::string entered_at;
  std::string exited_at;
  std::string reason;
  ProblemInfo error;
};

// Everything known about one instance in one run.
struct InstanceRun {
  InstanceInfo info;
  std::optional<BackupResult> backup;
  std::optional<PrecheckResult> precheck;
  std::optional<PatchResult> patch;
  std::optional<StandbyResult> standby;  // Auto Scaling handling around the patch
  std::optional<RebootResult> reboot;
  std::optional<PostcheckResult> postcheck;
  std::optional<RollbackResult> rollback;
};

// One step of an instance's timeline, in the order the run did them: backup, precheck, standby,
// patch, reboot, postcheck, rollback, standby exit. Only steps with a result are listed.
struct TimelineEntry {
  std::string
      step;  // "backup", "precheck", "standby", "patch", "reboot", "postcheck", "rollback", "standby_exit"
  std::string status;  // that step's status name
  std::string started_at;
  std::string finished_at;
  std::string detail;  // reason / regressions (untrusted text: escape per format)
};
std::vector<TimelineEntry> InstanceTimeline(const InstanceRun& instance);

struct RunInfo {
  std::string run_id;    // e.g. "20261125-194200-a1b2c3"
  std::string workflow;  // "full", "scan", ...
  std::string created_at;
  std::string updated_at;
  std::string user;
  std::string host;
  bool dry_run = false;
  RunStatus status = RunStatus::kRunning;
  nlohmann::json config;  // the effective config, without secrets
  std::vector<std::string> phases_completed;
};

struct Event {
  int64_t seq = 0;
  std::string time;
  std::string level;  // "info", "warning", "error"
  std::string zone;
  std::string instance_id;
  std::string phase;
  std::string message;
};

// A whole run, as the reports consume it.
struct RunSnapshot {
  RunInfo run;
  std::vector<LandingZoneInfo> zones;
  std::vector<InstanceRun> instances;
  std::vector<Event> events;
};

// JSON forms (the state store and the JSON report use these; field names are snake_case).
void to_json(nlohmann::json& j, const ProblemInfo& v);
void from_json(const nlohmann::json& j, ProblemInfo& v);
void to_json(nlohmann::json& j, const LandingZoneInfo& v);
void from_json(const nlohmann::json& j, LandingZoneInfo& v);
void to_json(nlohmann::json& j, const InstanceInfo& v);
void from_json(const nlohmann::json& j, InstanceInfo& v);
void to_json(nlohmann::json& j, const CheckFinding& v);
void from_json(const nlohmann::json& j, CheckFinding& v);
void to_json(nlohmann::json& j, const BackupResult& v);
void from_json(const nlohmann::json& j, BackupResult& v);
void to_json(nlohmann::json& j, const PrecheckResult& v);
void from_json(const nlohmann::json& j, PrecheckResult& v);
void to_json(nlohmann::json& j, const PatchResult& v);
void from_json(const nlohmann::json& j, PatchResult& v);
void to_json(nlohmann::json& j, const PostcheckResult& v);
void from_json(const nlohmann::json& j, PostcheckResult& v);
void to_json(nlohmann::json& j, const RollbackResult& v);
void from_json(const nlohmann::json& j, RollbackResult& v);
void to_json(nlohmann::json& j, const StandbyResult& v);
void from_json(const nlohmann::json& j, StandbyResult& v);
void to_json(nlohmann::json& j, const RebootResult& v);
void from_json(const nlohmann::json& j, RebootResult& v);
void to_json(nlohmann::json& j, const TimelineEntry& v);
void to_json(nlohmann::json& j, const Event& v);
void from_json(const nlohmann::json& j, Event& v);
void to_json(nlohmann::json& j, const RunInfo& v);
void from_json(const nlohmann::json& j, RunInfo& v);

}  // namespace fleetpatch
