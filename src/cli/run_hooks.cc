#include "cli/run_hooks.h"

#include <spdlog/spdlog.h>

#include "aws/sns_client.h"
#include "metrics/metrics_file.h"
#include "notify/notifier.h"
#include "notify/sns_channel.h"
#include "notify/webhook.h"

namespace fleetpatch::cli {

Status CheckNotificationSecrets(const config::Config& config, const EnvLookup& env) {
  for (const auto& w : config.notifications.webhooks) {
    if (w.secret_env.empty()) continue;
    auto secret = env(w.secret_env);
    if (!secret || secret->empty())
      return Error::Config("notifications: webhook " + notify::UrlOrigin(w.url) + ": secret_env " +
                           w.secret_env + " is not set in the environment");
  }
  return OkStatus();
}

std::optional<RolloutHalted> RolloutHaltOf(const std::string& run_id, const workflow::PhaseSummary& s) {
  if (s.phase != Phase::kPatch || !s.budget_spent || (s.interrupted && !s.window_closed)) return std::nullopt;
  RolloutHalted h;
  h.run_id = run_id;
  h.reason = s.halt_reason;
  h.failed = s.failed;
  h.not_started = s.skipped;
  switch (s.halt_reason) {
    case HaltReason::kCanaryFailed:
      h.detail = "the canary wave failed, so no further wave started";
      break;
    case HaltReason::kErrorBudgetSpent:
      h.detail = "more instances failed than the error budget allows, so no further wave started";
      break;
    case HaltReason::kWindowClosed:
      h.detail = "the maintenance window closed, so no further wave started; " + s.next_window;
      break;
  }
  return h;
}

std::optional<InstancesInStandby> InstancesInStandbyOf(const std::string& run_id,
                                                       const report::RunSummary& s) {
  InstancesInStandby e;
  e.run_id = run_id;
  for (const auto& l : s.auto_scaling_left)
    if (l.status != StandbyStatusName(StandbyStatus::kSuspended)) e.instance_ids.push_back(l.instance_id);
  if (e.instance_ids.empty()) return std::nullopt;
  e.detail =
      std::to_string(e.instance_ids.size()) +
      " instance(s) left in Auto Scaling Standby: `fleetpatch --resume` restores those interrupted, the "
      "others were not known good after their patch";
  return e;
}

std::optional<RollbackDone> RollbackDoneOf(const std::string& run_id, const report::RunSummary& s) {
  if (s.rolled_back.empty() && s.rollback_failed.empty()) return std::nullopt;
  RollbackDone e;
  e.run_id = run_id;
  e.instance_ids = s.rolled_back;
  e.failed_ids = s.rollback_failed;
  e.detail = std::to_string(s.rolled_back.size()) +
             " instance(s) restored from their pre-patch backup (root volume "
             "replaced), " +
             std::to_string(s.rollback_failed.size()) + " rollback(s) failed";
  return e;
}

RunHooks::RunHooks(const Options& options, const config::Config& config, Context& ctx, Clock& clock)
    : config_(config), ctx_(ctx), clock_(clock) {
  if (!options.metrics_file.empty()) {
    metrics_ = std::make_shared<metrics::MetricsFile>(options.metrics_file, clock);
    observers_.Add(metrics_);
  }
}

RunHooks::~RunHooks() = default;

aws::AttemptObserver RunHooks::AttemptObserver() {
  return [metrics = metrics_](const aws::AttemptRecord& r) {
    spdlog::debug("{}", aws::FormatAttempt(r));
    if (metrics) metrics->OnAttempt(r);
  };
}

Status RunHooks::Connect(aws::AwsContext& aws, std::shared_ptr<aws::CredentialsProvider> base,
                         aws::HttpTransport& transport) {
  const auto& n = config_.notifications;
  if (n.webhooks.empty() && n.sns.empty()) return OkStatus();
  notify::RetryOptions retry;
  retry.attempts = n.attempts;
  retry.backoff = n.backoff;
  notifier_ = std::make_shared<notify::Notifier>(clock_, retry);
  for (const auto& w : n.webhooks) {
    notify::WebhookOptions o;
    o.url = w.url;
    if (!w.secret_env.empty()) o.secret = ctx_.env(w.secret_env).value_or("");
    o.http.total_timeout = n.timeout;
    o.http.connect_timeout = std::min(o.http.total_timeout, o.http.connect_timeout);
    notifier_->AddChannel(std::make_unique<notify::WebhookChannel>(std::move(o), transport, clock_),
                          w.events);
  }
  for (const auto& t : n.sns) {
    FP_ASSIGN_OR_RETURN(auto client, aws.MakeClient("sns", aws::SnsTopicRegion(t.topic_arn), base));
    notifier_->AddChannel(std::make_unique<notify::SnsChannel>(t.topic_arn, *client), t.events);
    sns_clients_.push_back(std::move(client));
  }
  observers_.Add(notifier_);
  return OkStatus();
}

void RunHooks::Start(const std::string& run_id, const std::vector<Phase>& phases, bool dry_run) {
  run_id_ = run_id;
  dry_run_ = dry_run;
  observers_.OnRunStarted({run_id, phases, dry_run});
}

void RunHooks::PhaseStarted() { phase_started_ = clock_.SteadyNow(); }

void RunHooks::PhaseDone(const workflow::PhaseSummary& s) {
  PhaseEnded e;
  e.run_id = run_id_;
  e.phase = s.phase;
  e.counts.succeeded = s.succeeded;
  e.counts.failed = s.failed;
  e.counts.skipped = s.skipped;
  e.duration = clock_.SteadyNow() - phase_started_;
  e.interrupted = s.interrupted;
  e.rollout_stopped = s.budget_spent;
  e.zone_errors = static_cast<int>(s.zone_errors.size());
  observers_.OnPhaseEnded(e);
  if (auto halted = RolloutHaltOf(run_id_, s)) observers_.OnRolloutHalted(*halted);
}

void RunHooks::RunDone(RunStatus status, int exit_code, const report::RunSummary& summary,
                       const std::vector<std::string>& reports, const Error* fatal) {
  RunFinished f;
  f.run_id = run_id_;
  f.status = status;
  f.exit_code = exit_code;
  f.dry_run = dry_run_;
  f.instances = summary.instances;
  f.eligible = summary.eligible;
  f.zones_failed = summary.zones_failed;
  for (Phase p : report::kAllPhases) {
    const auto& c = summary.phases[static_cast<size_t>(p)].counts;
    f.phases.push_back({p, {c.succeeded, c.failed, c.skipped, c.pending, c.not_run}});
  }
  f.reports = reports;
  if (fatal) f.error = fatal->ToString();
  if (auto standby = InstancesInStandbyOf(run_id_, summary)) observers_.OnInstancesInStandby(*standby);
  if (auto rollback = RollbackDoneOf(run_id_, summary)) observers_.OnRollbackDone(*rollback);
  observers_.OnRunFinished(f);
}

std::vector<std::string> RunHooks::NotificationFailures() const {
  return notifier_ ? notifier_->Failures() : std::vector<std::string>{};
}

}  // namespace fleetpatch::cli
