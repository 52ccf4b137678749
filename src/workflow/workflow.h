// The workflow engine: scan, backup, precheck and patch over every landing zone of a run, each
// continuing from what the state store holds, so that phases can run days apart and a crashed or
// interrupted run resumes without repeating finished work (no second AMI, no second patch of a
// finished instance). A full run pipelines backup, precheck and patch per instance (Pipeline(),
// docs/pipeline.md); single-phase runs (Backup(), Precheck(), Patch()) run one phase over the run.
//
// Where things are (src/workflow/): scan.cc, backup.cc, precheck.cc, patch.cc hold each phase's
// API calls, decisions and state transitions for one zone; instance_state.h the per-instance state
// machine; scheduler.h the run-wide rollout (canary, waves, error budget); pipeline.h one zone's
// pipeline loop; result_sink.h the one way results reach the store; this file the run-wide entry
// points and the zone pool.
//
// Safety rules enforced here: never patch an instance whose required backup is not available;
// never report an unverified patch as success; stop starting new patch waves once the error
// budget is spent (and after a failed canary); no mutating AWS call in a dry run.
//
// Thread-safety: one Workflow runs one phase (or the pipeline) at a time; internally zones run on a
// bounded pool.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/count_or_percent.h"
#include "common/error.h"
#include "common/run_events.h"
#include "common/run_model.h"
#include "config/safety_config.h"
#include "state/state_store.h"
#include "workflow/cancel_token.h"
#include "workflow/decisions.h"
#include "workflow/interrupt.h"
#include "workflow/precheck_logic.h"
#include "workflow/progress.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

struct WorkflowOptions {
  // Phases ---------------------------------------------------------------------------------------
  bool backup_enabled = true;   // Default: true. false: no AMIs; patching then needs no backup.
  bool backup_required = true;  // Default: true. An instance whose backup is not available is not patched.
  std::chrono::seconds ami_timeout{1800};    // Default: 1800 s (workflow.timeouts.ami_creation)
  std::chrono::seconds patch_timeout{3600};  // Default: 3600 s (workflow.timeouts.patch_execution)
  std::chrono::seconds ssm_timeout{300};     // Default: 300 s (workflow.timeouts.ssm_connection)
  // Default: 10 s between status polls (workflow.poll_interval).
  std::chrono::milliseconds poll_interval{10'000};
  // The first status check of new work comes this long after it started: the first moment any of
  // it can have finished (each capped at poll_interval). Shorter: less latency, more calls.
  std::chrono::milliseconds ami_first_poll{60'000};      // as workflow.first_poll.ami
  std::chrono::milliseconds precheck_first_poll{3'000};  // as workflow.first_poll.precheck
  std::chrono::milliseconds patch_first_poll{60'000};    // as workflow.first_poll.patch
  std::chrono::milliseconds reboot_first_poll{30'000};   // as workflow.first_poll.reboot
  int zone_workers = 4;                                  // Default: 4 zones in parallel
  bool dry_run = false;                                  // Default: false

  EligibilityRules eligibility;

  // Backup ---------------------------------------------------------------------------------------
  std::string ami_name_template = kDefaultAmiNameTemplate;
  bool no_reboot = true;            // Default: true (crash-consistent AMI without stopping the instance)
  int retention_days = 30;          // Default: 30 (sets the fleetpatch:delete-after tag)
  bool keep_failed_images = false;  // Default: false (a failed or timed-out AMI is deregistered)
  int max_pending_images = 50;      // Default: 50 AMIs being created at once per zone
  std::vector<std::pair<std::string, std::string>> extra_tags;

  // Precheck -------------------------------------------------------------------------------------
  PrecheckThresholds linux_thresholds{.critical_services = {"sshd"}};  // as precheck.critical_services
  PrecheckThresholds windows_thresholds{
      .critical_services = {"W32Time", "WinRM"}};  // as precheck.critical_services
  int precheck_execution_timeout_s = 600;          // Default: 600 s for the script to run
  int max_commands = 200;                          // Default: 200 command invocations in flight per zone
  std::string min_agent_version = "3.0.0";         // Default: "3.0.0" (precheck.min_ssm_agent_version)

  // Patch ----------------------------------------------------------------------------------------
  std::string patch_document = "AWS-RunPatchBaseline";
  std::string patch_operation = "Install";       // Install | Scan
  std::string reboot_option = "RebootIfNeeded";  // RebootIfNeeded | NoReboot
  // Default: false (with NoReboot, installed-pending-reboot is an outcome of its own, not a failure)
  bool fail_on_pending_reboot = false;
  // Default: 15 min for the agent Online and the status checks ok after a RebootIfNeeded patch
  // (workflow.timeouts.reboot); else the patch is failed with the reason.
  std::chrono::seconds reboot_timeout{900};
  // Default: 10 min (workflow.timeouts.standby) from EnterStandby until Auto Scaling shows the member
  // Standby; its patch is sent only then, else it is not patched.
  std::chrono::seconds standby_timeout{600};
  std::string baseline_override;          // S3 URL of a baseline override, or empty
  int canary_size = 1;                    // Default: 1 instance in the first wave (0: no canary)
  int wave_size = 50;                     // Default: 50 instances per wave (max concurrency)
  CountOrPercent error_budget{true, 10};  // Default: "10%" of the instances targeted; or a count such as 0
  bool canary_must_succeed = true;        // Default: true (any canary failure stops the rollout)
  // Safety loop (docs/safety.md) -------------------------------------------------------------------
  // Default: standby (EnterStandby around each member's patch); suspend; skip (members ineligible).
  config::AutoScalingMode auto_scaling = config::AutoScalingMode::kStandby;
  // Default: none (no disruption budget). Of each group: Auto Scaling group, value of each tag below.
  std::optional<CountOrPercent> max_unavailable;
  std::vector<std::string> max_unavailable_tags;  // Default: [] (only Auto Scaling groups)
  config::WindowConfig window;                    // Default: disabled (waves start at any time)
  std::string tzdir;                              // Default: "" ($TZDIR or /usr/share/zoneinfo)

  // After the patch (docs/safety.md) ------------------------------------------------------------
  bool postcheck =
      true;  // Default: true (workflow.phases.postcheck): a full run checks each patched instance
  // Default: "manual" (patch.rollback): auto | manual | off. auto: a full run rolls back an instance
  // whose patch failed or whose postcheck is degraded or unreachable.
  std::string rollback = "manual";
  bool delete_replaced_root_volume = false;  // Default: false (the replaced root volume is kept)
};

// What the postcheck and rollback did (docs/safety.md), for the summary line and the exit code.
struct SafetySummary {
  int64_t healthy = 0;
  int64_t degraded = 0;
  int64_t unreachable = 0;
  int64_t rolled_back = 0;
  int64_t rollback_failed = 0;  // failed, unsupported or ineligible: needed and not done
  std::vector<Error> zone_errors;
  bool interrupted = false;
};

// Which instances `fleetpatch rollback` rolls back. Empty lists do not constrain; with no
// instance named, only those that need it (patch failed, postcheck degraded or unreachable).
struct RollbackRequest {
  std::vector<std::string> instance_ids;
  std::vector<std::string> zones;
  bool automatic = false;  // patch.rollback: auto (a full run), not an operator's command
};

// One landing zone as the workflow needs it: what it is and how to find its instances.
struct ZoneSpec {
  LandingZoneInfo info;
  std::map<std::string, std::vector<std::string>> tag_filters;   // key -> accepted values
  std::map<std::string, std::vector<std::string>> exclude_tags;  // key -> values (empty: any) that exclude
};

// Opens a ZoneApi for a zone (assumes its role). Errors are the zone's (kAuth when the role could
// not be assumed). Thread-safe.
class ZoneConnector {
 public:
  virtual ~ZoneConnector() = default;
  virtual Result<std::shared_ptr<ZoneApi>> Connect(const ZoneSpec& zone) = 0;
};

// Counts for one phase, as the summary and exit code need them.
struct PhaseSummary {
  Phase phase = Phase::kScan;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
  std::vector<Error> zone_errors;  // zone-level failures (e.g. a role that could not be assumed)
  bool interrupted = false;
  bool budget_spent = false;
  HaltReason halt_reason = HaltReason::kErrorBudgetSpent;  // why, when budget_spent (run_events.h)
  // The maintenance window closed (patch phase): no new wave started, the run stops resumable
  // (interrupted is set too); the sentence says when the window opens next.
  bool window_closed = false;
  std::string next_window;
};

class GroupSuspensions;
class ResultSink;
class RolloutGate;
struct ZoneContext;
struct RolloutOptions;

class Workflow {
 public:
  // `cancel`: when it is cancelled, no new work starts (work in flight stays recorded for --resume).
  Workflow(WorkflowOptions options, state::StateStore& store, ZoneConnector& connector, Clock& clock,
           Progress::Options progress, CancelToken cancel = InterruptToken());
  ~Workflow();

  // Each phase works on run `run_id` (already created in the store) and the zones given.
  // Result: the phase's counts, or an Error when the phase as a whole cannot proceed (every zone
  // failed, nothing eligible, a prerequisite missing: kValidation naming the phase to run first).
  Result<PhaseSummary> Scan(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  Result<PhaseSummary> Backup(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  Result<PhaseSummary> Precheck(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  Result<PhaseSummary> Patch(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  // Backup, precheck and patch as one pipeline (docs/pipeline.md), after a scan: each instance's
  // backup and precheck at the same time, its patch once both passed, in waves that form as
  // instances qualify. Picks every instance up where the store has it (--resume). Result: the
  // counts of backup, precheck and patch, in that order; errors as the phases give them. Not for
  // dry runs (a dry run plans the phases one after the other).
  Result<std::vector<PhaseSummary>> Pipeline(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  // The postcheck of every patched instance of the run that has none yet (--workflow postcheck;
  // a full run after the patch). kValidation when the run has no patch results.
  Result<SafetySummary> Postcheck(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  // Rolls back the instances `request` picks (rollback.h). A rollback already started (its task id
  // recorded) is watched, never started again. A dry run only plans.
  Result<SafetySummary> Rollback(const std::string& run_id, const std::vector<ZoneSpec>& zones,
                                 const RollbackRequest& request);
  // After Postcheck() and Rollback(): every instance this run put in Standby and that is not in
  // flight goes by the live run's rule (auto_scaling.h SettleZoneStandby): ExitStandby after a
  // healthy postcheck or a rollback that succeeded, else left_in_standby. Only zone errors.
  Result<SafetySummary> SettleStandby(const std::string& run_id, const std::vector<ZoneSpec>& zones);

  // One zone of a run whose zones several `fleetpatch worker` processes share (docs/team.md): the
  // zone's pipeline (backup, precheck, patch) with the run-wide rollout decided by `gate` (the
  // store's rollout record). Picks every instance up where the store has it, so a zone taken over
  // from a dead worker makes no second AMI or patch command. Does not mark phases completed (the
  // run is over only when every zone is). Result: backup, precheck and patch counts of this zone.
  Result<std::vector<PhaseSummary>> WorkZone(const std::string& run_id, const ZoneSpec& zone,
                                             RolloutGate& gate);

  // The dry-run plan lines produced so far ("would create AMI ... for i-...").
  std::vector<std::string> Plan() const;

 private:
  struct ZoneConn;
  using ByZone = std::map<std::string, std::vector<InstanceRun>>;
  // Moves `runs` into per-zone lists, freeing its buffer at once.
  static ByZone SplitByZone(std::vector<InstanceRun>&& runs);
  // Runs `work` for each zone's instances on the bounded zone pool. A zone that cannot be connected
  // goes to `down` instead. Zone-level errors are recorded in `sink` as `phase`'s, named with the zone.
  using ZoneWork = std::function<Status(const ZoneContext&, std::vector<InstanceRun>)>;
  using ZoneDown = std::function<void(std::vector<InstanceRun>&, const Error&)>;
  void ForEachZone(const std::string& run_id, const std::vector<ZoneSpec>& zones, ByZone by_zone, Phase phase,
                   ResultSink& sink, const ZoneWork& work, const ZoneDown& down);
  // The same, with each zone's instances loaded by `load` when a zone worker takes the zone, so at
  // most `zone_workers` zones' records are in memory at once. A zone that cannot be loaded is
  // recorded as a zone error and left untouched (--resume picks it up).
  using ZoneLoad = std::function<Result<std::vector<InstanceRun>>(const std::string& zone)>;
  void ForEachZone(const std::string& run_id, const std::vector<ZoneSpec>& zones,
                   const std::vector<std::string>& names, const ZoneLoad& load, Phase phase, ResultSink& sink,
                   const ZoneWork& work, const ZoneDown& down);
  // What the rollout needs to know of the whole run before any zone starts (one streaming pass).
  struct RolloutPlan;
  Result<RolloutPlan> PlanRollout(const std::string& run_id, bool prepare, const std::string& zone);
  // `groups`: the run's suspended Auto Scaling groups shared by its zones (nullptr: each zone its own).
  void RunRollout(const std::string& run_id, const std::vector<ZoneSpec>& zones, const RolloutPlan& plan,
                  RolloutGate& rollout, bool prepare, ResultSink& sink,
                  std::shared_ptr<GroupSuspensions> groups = nullptr);
  // patch.auto_scaling: suspend: every Auto Scaling member of the run still to patch, from the
  // store (its group from the aws:autoscaling:groupName tag), before any zone starts; nullptr in
  // the other modes.
  Result<std::shared_ptr<GroupSuspensions>> RunWideSuspensions(const std::string& run_id);
  Result<ZoneApi*> Api(const ZoneSpec& zone);
  Status RequirePhase(const std::string& run_id, Phase needed, Phase wanted);
  // kValidation "nothing to <what>" when the run's scan found no eligible instance.
  Status RequireEligible(const std::string& run_id, const std::string& what);
  // A phase's end: the final progress line, whether it was interrupted, and (unless interrupted,
  // `resumable` (work left for --resume, e.g. the maintenance window closed) or a dry run) the
  // phase recorded as completed.
  Result<PhaseSummary> EndPhase(const std::string& run_id, Phase phase, ResultSink& sink,
                                bool resumable = false);
  std::chrono::system_clock::time_point RunStart(const std::string& run_id);
  Result<PhaseSummary> PlanPatch(const std::string& run_id);
  // How a rollout ended: why it stopped with instances left untouched (unset when it did not, or
  // was cancelled) and, when the maintenance window closed, when it opens next.
  struct RolloutEnd {
    std::optional<HaltReason> halted;
    std::string next_window;
    bool window_closed() const { return halted == HaltReason::kWindowClosed; }
  };
  // The rollout over the run's eligible instances; `prepare`: also run missing backups/prechecks.
  Status Rollout(const std::string& run_id, const std::vector<ZoneSpec>& zones, bool prepare,
                 ResultSink& sink, RolloutEnd* end);
  // The patch phase's end after a rollout (EndPhase, and how the rollout stopped).
  Result<PhaseSummary> EndPatch(const std::string& run_id, ResultSink& sink, const RolloutEnd& end);
  // What the rollout scheduler needs beyond the options: the disruption budget over the run's
  // instances (nullptr without patch.max_unavailable) and the maintenance window (nullptr when
  // none); kConfig for a bad window, else the store's error.
  Status SafetyGates(const std::string& run_id, RolloutOptions* ro);

  const WorkflowOptions options_;
  state::StateStore& store_;
  ZoneConnector& connector_;
  Clock& clock_;
  const Progress::Options progress_options_;
  const CancelToken cancel_;

  mutable std::mutex mu_;  // guards conns_ and plan_
  std::map<std::string, std::unique_ptr<ZoneConn>> conns_;
  std::vector<std::string> plan_;
};

}  // namespace fleetpatch::workflow
