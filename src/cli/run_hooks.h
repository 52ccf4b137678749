// RunHooks: what watches a run from outside, built from the options and the config: the
// --metrics-file writer and the notifications: channels (webhooks, SNS topics), behind one
// RunObserver (common/run_events.h) that the run engine calls at the run's start, at each phase's
// end and at the run's end. It also supplies the AWS attempt observer (debug log line + metrics).
// Thread-safety: the attempt observer may be used from any thread once Connect() has returned;
// everything else is called on the run's thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/aws_context.h"
#include "cli/commands.h"
#include "config/config.h"
#include "report/summary.h"
#include "workflow/workflow.h"

namespace fleetpatch::metrics {
class MetricsFile;
}
namespace fleetpatch::notify {
class Notifier;
}

namespace fleetpatch::cli {

// Before a run starts: kConfig naming the webhook (origin only) whose secret_env is not set.
Status CheckNotificationSecrets(const config::Config& config, const EnvLookup& env);

// The RolloutHalted event of a finished phase: only a patch phase whose rollout stopped (failed
// canary, error budget spent, maintenance window closed) and that was not interrupted otherwise;
// nullopt otherwise.
std::optional<RolloutHalted> RolloutHaltOf(const std::string& run_id, const workflow::PhaseSummary& s);
// The InstancesInStandby event at a run's end: the instances the run left in Auto Scaling Standby
// (in_standby, left_in_standby; a suspended group is not an instance in Standby); nullopt when none.
std::optional<InstancesInStandby> InstancesInStandbyOf(const std::string& run_id,
                                                       const report::RunSummary& s);
// The RollbackDone event at a run's end: the instances rolled back and the rollbacks that failed;
// nullopt when the run rolled nothing back.
std::optional<RollbackDone> RollbackDoneOf(const std::string& run_id, const report::RunSummary& s);

class RunHooks {
 public:
  RunHooks(const Options& options, const config::Config& config, Context& ctx, Clock& clock);
  ~RunHooks();

  // For AwsContextOptions::observer: logs each attempt at debug level and counts it for metrics.
  aws::AttemptObserver AttemptObserver();

  // Builds the notification channels. SNS topics get a client for their region signed with
  // `base` (the run's base identity). Errors: MakeClient's (kConfig for a bad region).
  Status Connect(aws::AwsContext& aws, std::shared_ptr<aws::CredentialsProvider> base,
                 aws::HttpTransport& transport);

  // The RunStarted event; the run's id and dry-run mode are kept for the events that follow.
  void Start(const std::string& run_id, const std::vector<Phase>& phases, bool dry_run);

  // A phase (or the pipeline of backup, precheck and patch) starts now.
  void PhaseStarted();
  // The PhaseEnded event of a finished phase, with the wall time since PhaseStarted() (and
  // RolloutHalted, when it stopped the rollout).
  void PhaseDone(const workflow::PhaseSummary& s);

  // The RunFinished event, from what the run engine prints as the summary.
  void RunDone(RunStatus status, int exit_code, const report::RunSummary& summary,
               const std::vector<std::string>& reports, const Error* fatal);

  // Lines for the notifications that could not be delivered (empty when all went out).
  std::vector<std::string> NotificationFailures() const;

 private:
  const config::Config& config_;
  Context& ctx_;
  Clock& clock_;
  std::shared_ptr<metrics::MetricsFile> metrics_;
  std::shared_ptr<notify::Notifier> notifier_;
  std::vector<std::unique_ptr<aws::BoundClient>> sns_clients_;
  RunObservers observers_;
  std::string run_id_;
  bool dry_run_ = false;
  std::chrono::steady_clock::time_point phase_started_{};
};

}  // namespace fleetpatch::cli
