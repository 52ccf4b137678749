// The workflow engine: scan, backup, precheck and patch over every landing zone of a run, each
// phase continuing from what the state store holds, so that phases can run days apart and a
// crashed or interrupted run resumes without repeating finished work (no second AMI, no second
// patch of a finished instance).
//
// Safety rules enforced here: never patch an instance whose required backup is not available;
// never report an unverified patch as success; stop starting new patch waves once the error
// budget is spent (and after a failed canary); no mutating AWS call in a dry run.
//
// Thread-safety: one Workflow runs one phase at a time; internally zones run on a bounded pool.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/count_or_percent.h"
#include "common/error.h"
#include "common/run_events.h"
#include "common/run_model.h"
#include "state/state_store.h"
#include "workflow/decisions.h"
#include "workflow/precheck_logic.h"
#include "workflow/progress.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

struct WorkflowOptions {
  // Phases ---------------------------------------------------------------------------------------
  bool backup_enabled = true;      // Default: true. false: no AMIs; patching then needs no backup.
  bool backup_required = true;     // Default: true. An instance whose backup is not available is not patched.
  std::chrono::seconds ami_timeout{1800};     // Default: 1800 s (workflow.timeouts.ami_creation)
  std::chrono::seconds patch_timeout{3600};   // Default: 3600 s (workflow.timeouts.patch_execution)
  std::chrono::seconds ssm_timeout{300};      // Default: 300 s (workflow.timeouts.ssm_connection)
  // Default: 10 s between status polls (workflow.poll_interval); the first poll of new work comes
  // one interval after it was started, since no AMI or command is done sooner on AWS.
  std::chrono::milliseconds poll_interval{10'000};
  int zone_workers = 4;            // Default: 4 zones in parallel
  bool dry_run = false;            // Default: false

  EligibilityRules eligibility;

  // Backup ---------------------------------------------------------------------------------------
  std::string ami_name_template = kDefaultAmiNameTemplate;
  bool no_reboot = true;           // Default: true (crash-consistent AMI without stopping the instance)
  int retention_days = 30;         // Default: 30 (sets the fleetpatch:delete-after tag)
  bool keep_failed_images = false; // Default: false (a failed or timed-out AMI is deregistered)
  int max_pending_images = 50;     // Default: 50 AMIs being created at once per zone
  std::vector<std::pair<std::string, std::string>> extra_tags;

  // Precheck -------------------------------------------------------------------------------------
  PrecheckThresholds linux_thresholds{.critical_services = {"sshd"}};                 // as precheck.critical_services
  PrecheckThresholds windows_thresholds{.critical_services = {"W32Time", "WinRM"}};  // as precheck.critical_services
  int precheck_execution_timeout_s = 600; // Default: 600 s for the script to run
  int max_commands = 200;          // Default: 200 command invocations in flight per zone
  std::string min_agent_version = "3.0.0";  // Default: "3.0.0" (precheck.min_ssm_agent_version)

  // Patch ----------------------------------------------------------------------------------------
  std::string patch_document = "AWS-RunPatchBaseline";
  std::string patch_operation = "Install";        // Install | Scan
  std::string reboot_option = "RebootIfNeeded";   // RebootIfNeeded | NoReboot
  std::string baseline_override;                  // S3 URL of a baseline override, or empty
  int canary_size = 1;             // Default: 1 instance in the first wave (0: no canary)
  int wave_size = 50;              // Default: 50 instances per wave (max concurrency)
  CountOrPercent error_budget{true, 10};  // Default: "10%" of the instances targeted; or a count such as 0
  bool canary_must_succeed = true; // Default: true (any canary failure stops the rollout)
};

// One landing zone as the workflow needs it: what it is and how to find its instances.
struct ZoneSpec {
  LandingZoneInfo info;
  std::map<std::string, std::vector<std::string>> tag_filters;  // key -> accepted values
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
};

class Workflow {
 public:
  Workflow(WorkflowOptions options, state::StateStore& store, ZoneConnector& connector, Clock& clock,
           Progress::Options progress);
  ~Workflow();

  // Each phase works on run `run_id` (already created in the store) and the zones given.
  // Result: the phase's counts, or an Error when the phase as a whole cannot proceed (every zone
  // failed, nothing eligible, a prerequisite missing: kValidation naming the phase to run first).
  Result<PhaseSummary> Scan(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  Result<PhaseSummary> Backup(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  Result<PhaseSummary> Precheck(const std::string& run_id, const std::vector<ZoneSpec>& zones);
  Result<PhaseSummary> Patch(const std::string& run_id, const std::vector<ZoneSpec>& zones);

  // The dry-run plan lines produced so far ("would create AMI ... for i-...").
  std::vector<std::string> Plan() const;

 private:
  struct ZoneConn;
  Result<ZoneApi*> Api(const ZoneSpec& zone);
  Status RequirePhase(const std::string& run_id, Phase needed, Phase wanted);
  // kValidation "nothing to <what>" when the run's scan found no eligible instance.
  Status RequireEligible(const std::string& run_id, const std::string& what);
  // A phase's end: the final progress line, whether it was interrupted, and (unless interrupted or
  // a dry run) the phase recorded as completed.
  Status EndPhase(const std::string& run_id, PhaseSummary& summary, Progress& progress);
  void Journal(const std::string& run_id, const std::string& level, const std::string& zone,
               const std::string& instance_id, Phase phase, const std::string& message);
  void AddPlan(std::string line);
  std::chrono::system_clock::time_point RunStart(const std::string& run_id);

  Status BackupZone(const std::string& run_id, const ZoneSpec& zone, std::vector<InstanceRun> todo,
                    PhaseSummary& summary, Progress& progress);
  Status PrecheckZone(const std::string& run_id, const ZoneSpec& zone, std::vector<InstanceRun> todo,
                      PhaseSummary& summary, Progress& progress);
  Result<PhaseSummary> PlanPatch(const std::string& run_id);
  void PollPause(std::chrono::nanoseconds duration);
  // Runs one wave's instances of one zone: send, monitor, verify, save.
  Status PatchZoneWave(const std::string& run_id, const ZoneSpec& zone, std::vector<InstanceRun> batch, int wave,
                       PhaseSummary& summary, Progress& progress);
  // Runs `work` for each zone's instances on the bounded zone pool, adding each zone's counts and
  // zone-level error (named with the zone) to `summary`.
  using ZoneWork = std::function<Status(const ZoneSpec&, std::vector<InstanceRun>, PhaseSummary&)>;
  void ForEachZone(const std::vector<ZoneSpec>& zones, std::map<std::string, std::vector<InstanceRun>> by_zone,
                   PhaseSummary& summary, const ZoneWork& work);

  const WorkflowOptions options_;
  state::StateStore& store_;
  ZoneConnector& connector_;
  Clock& clock_;
  const Progress::Options progress_options_;

  std::mutex mu_;  // guards conns_, plan_ and summary counters updated from zone threads
  std::map<std::string, std::unique_ptr<ZoneConn>> conns_;
  std::vector<std::string> plan_;
};

}  // namespace fleetpatch::workflow
