#include "cli/run_engine.h"

#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/aws_stack.h"
#include "cli/run_hooks.h"
#include "cli/store_access.h"
#include "common/exit_codes.h"
#include "common/json_dump.h"
#include "common/log.h"
#include "common/redact.h"
#include "report/report_writer.h"
#include "report/summary.h"
#include "state/run_id.h"
#include "workflow/interrupt.h"

namespace fleetpatch::cli {
namespace {

std::string Username(const EnvLookup& env) {
  for (const char* v : {"USER", "LOGNAME"})
    if (auto u = env(v); u && !u->empty()) return *u;
  return "uid " + std::to_string(getuid());
}

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

bool Contains(const std::vector<Phase>& v, Phase p) { return std::find(v.begin(), v.end(), p) != v.end(); }

// Which run this invocation works on: a new one, the one named by --run, or the latest one.
Result<RunInfo> ChooseRun(const Options& options, const RunRequest& req, state::StateStore& store,
                          Clock& clock, const EnvLookup& env, const std::string& location, bool* created) {
  *created = false;
  if (!options.run_id.empty()) return store.GetRun(options.run_id);
  bool continues = options.resume || req.postcheck || req.rollback ||
                   (!req.phases.empty() && req.phases.front() != Phase::kScan);
  if (continues) {
    auto latest = store.LatestRun();
    if (!latest.ok()) {
      if (latest.error().category == ErrorCategory::kNotFound) {
        return Error::Validation(std::string("there is no earlier run to continue in ") +
                                 DisplayLocation(location) +
                                 ": run `--workflow scan` (or `--workflow full`) first");
      }
      return latest.error();
    }
    return latest;
  }
  RunInfo run;
  run.run_id = state::NewRunId(clock);
  run.workflow = req.workflow_name;
  run.user = Username(env);
  run.host = Hostname();
  run.dry_run = req.workflow.dry_run;
  run.config = config::ConfigToJson(req.config);
  // A state URL may carry a password: the run's record never does.
  for (const char* key : {"path", "url"}) {
    if (run.config["state"].contains(key))
      run.config["state"][key] = DisplayLocation(run.config["state"][key]);
  }
  FP_RETURN_IF_ERROR(store.CreateRun(run));
  *created = true;
  return store.GetRun(run.run_id);
}

void PrintPhase(std::ostream& err, const workflow::PhaseSummary& s) {
  err << "fleetpatch: " << PhaseName(s.phase) << ": " << s.succeeded << " succeeded, " << s.failed
      << " failed, " << s.skipped << " skipped";
  if (!s.zone_errors.empty()) err << ", " << s.zone_errors.size() << " zone(s) failed";
  if (s.window_closed) {
    err << " (maintenance window closed: " << s.next_window << ")";
  } else {
    if (s.budget_spent) err << " (rollout stopped)";
    if (s.interrupted) err << " (interrupted)";
  }
  err << "\n";
  for (const auto& e : s.zone_errors)
    err << "  zone error [" << CategoryName(e.category) << "]: " << RedactedErrorText(e) << "\n";
}

// The run this invocation works on, locked. A continued run keeps its dry-run mode; a resumed one
// keeps only the phases it has not completed.
Result<std::pair<RunInfo, std::unique_ptr<state::RunLock>>> OpenRun(const Options& options, RunRequest& req,
                                                                    state::StateStore& store, Clock& clock,
                                                                    const EnvLookup& env,
                                                                    const std::string& location,
                                                                    std::ostream& err) {
  bool created = false;
  FP_ASSIGN_OR_RETURN(RunInfo run, ChooseRun(options, req, store, clock, env, location, &created));
  FP_ASSIGN_OR_RETURN(auto lock, store.AcquireRunLock(run.run_id));
  if (created) return std::make_pair(std::move(run), std::move(lock));
  // Never turn a dry run into real changes by accident.
  if (run.dry_run && !req.workflow.dry_run) {
    return Error::Validation("run " + run.run_id + " was a dry run: start a new run to make changes");
  }
  if (options.resume) {
    std::vector<Phase> todo;
    for (Phase p : req.phases) {
      if (std::find(run.phases_completed.begin(), run.phases_completed.end(), PhaseName(p)) ==
          run.phases_completed.end()) {
        todo.push_back(p);
      }
    }
    req.phases = todo;
    err << "fleetpatch: resuming run " << run.run_id << (todo.empty() ? " (nothing left to do)" : "") << "\n";
  }
  return std::make_pair(std::move(run), std::move(lock));
}

void PrintSafety(std::ostream& err, const char* step, const workflow::SafetySummary& s) {
  err << "fleetpatch: " << step << ": " << s.healthy << " healthy, " << s.degraded << " degraded, "
      << s.unreachable << " unreachable, " << s.rolled_back << " rolled back, " << s.rollback_failed
      << " not rolled back";
  if (!s.zone_errors.empty()) err << ", " << s.zone_errors.size() << " zone(s) failed";
  if (s.interrupted) err << " (interrupted)";
  err << "\n";
  for (const auto& e : s.zone_errors)
    err << "  zone error [" << CategoryName(e.category) << "]: " << RedactedErrorText(e) << "\n";
}

// What is still in Standby after the postcheck and rollbacks (a resumed run's, `fleetpatch
// rollback`'s): back in service when known good, else left_in_standby, as a live run decides.
void SettleStandby(workflow::Workflow& wf, const std::string& run_id,
                   const std::vector<workflow::ZoneSpec>& zones, PhasesOutcome* out, std::ostream& err) {
  auto settled = wf.SettleStandby(run_id, zones);
  if (!settled.ok()) {
    out->fatal = settled.error();
    err << "fleetpatch: standby: " << RedactedErrorText(settled.error()) << "\n";
    return;
  }
  for (const auto& e : settled->zone_errors)
    err << "fleetpatch: standby: zone error [" << CategoryName(e.category) << "]: " << RedactedErrorText(e)
        << "\n";
  out->interrupted = out->interrupted || settled->interrupted;
}

// The safety loop after the phases (docs/safety.md): the postcheck (`--workflow postcheck`, or a
// full run's patch with workflow.phases.postcheck), then patch.rollback: auto after a full run, or
// `fleetpatch rollback RUN`. Skipped once the run stopped. A resumed full run (its phases done
// already) still finishes them: both pick up only what is left.
void RunSafety(workflow::Workflow& wf, const RunRequest& req, const std::string& run_id,
               const std::vector<workflow::ZoneSpec>& zones, const Options& options, PhasesOutcome* out,
               std::ostream& err) {
  auto step = [&](const char* name, const Result<workflow::SafetySummary>& r) {
    if (!r.ok()) {
      out->fatal = r.error();
      err << "fleetpatch: " << name << " failed: " << RedactedErrorText(r.error()) << "\n";
      return false;
    }
    // After a full run's pipeline (which checked its instances itself) only what it caught up on.
    const bool any = r->healthy + r->degraded + r->unreachable + r->rolled_back + r->rollback_failed > 0;
    const bool asked = req.postcheck || req.rollback;
    if ((!options.quiet && (any || asked)) || !r->zone_errors.empty()) PrintSafety(err, name, *r);
    for (const auto& e : r->zone_errors)
      if (e.category == ErrorCategory::kAuth) out->zone_auth_failed = true;
    out->interrupted = out->interrupted || r->interrupted;
    return !out->interrupted;
  };
  if (out->fatal || out->interrupted) return;
  const bool full = req.workflow_name == "full" && req.config.workflow.phases.patch && !req.workflow.dry_run;
  if ((req.postcheck || (full && req.workflow.postcheck)) && !step("postcheck", wf.Postcheck(run_id, zones)))
    return;
  if (req.rollback) {
    if (!step("rollback", wf.Rollback(run_id, zones, *req.rollback))) return;
  } else if (full && req.workflow.rollback == "auto") {
    workflow::RollbackRequest automatic;
    automatic.automatic = true;
    if (!step("rollback", wf.Rollback(run_id, zones, automatic))) return;
  }
  if (!req.workflow.dry_run && (req.postcheck || req.rollback || full))
    SettleStandby(wf, run_id, zones, out, err);
}

// Runs the requested phases in order. A full run pipelines backup, precheck and patch per instance
// (docs/pipeline.md); a dry run and single-phase runs go phase by phase.
// Each phase's start and end go to the hooks (metrics, notifications); the phases of a pipeline
// overlap, so they start together.
PhasesOutcome RunPhases(workflow::Workflow& wf, const RunRequest& req, const std::string& run_id,
                        const std::vector<workflow::ZoneSpec>& zones, const Options& options,
                        const workflow::CancelToken& cancel, RunHooks& hooks, std::ostream& err) {
  const bool pipelined = !req.workflow.dry_run && Contains(req.phases, Phase::kPatch) &&
                         (Contains(req.phases, Phase::kBackup) || Contains(req.phases, Phase::kPrecheck));
  PhasesOutcome out;
  // Reports one phase's outcome; false when the run stops here.
  auto report = [&](Phase phase, const Result<workflow::PhaseSummary>& r) {
    if (!r.ok()) {
      out.fatal = r.error();
      err << "fleetpatch: " << PhaseName(phase) << " failed: " << RedactedErrorText(r.error()) << "\n";
      return false;
    }
    if (!options.quiet || !r->zone_errors.empty()) PrintPhase(err, *r);
    hooks.PhaseDone(*r);
    for (const auto& e : r->zone_errors)
      if (e.category == ErrorCategory::kAuth) out.zone_auth_failed = true;
    out.interrupted = out.interrupted || r->interrupted || cancel.Cancelled();
    if (r->window_closed) out.window_closed = r->next_window;
    return !out.interrupted;
  };
  for (Phase phase : req.phases) {
    bool go_on = true;
    hooks.PhaseStarted();
    if (pipelined && phase != Phase::kScan) {
      auto all = wf.Pipeline(run_id, zones);
      if (!all.ok()) {
        go_on = report(Phase::kBackup, all.error());
      } else {
        for (const auto& s : *all) go_on = report(s.phase, s) && go_on;
      }
    } else {
      Result<workflow::PhaseSummary> r = Error::Internal("unreachable");
      switch (phase) {
        case Phase::kScan:
          r = wf.Scan(run_id, zones);
          break;
        case Phase::kBackup:
          r = wf.Backup(run_id, zones);
          break;
        case Phase::kPrecheck:
          r = wf.Precheck(run_id, zones);
          break;
        case Phase::kPatch:
          r = wf.Patch(run_id, zones);
          break;
      }
      go_on = report(phase, r);
    }
#ifdef __GLIBC__
    malloc_trim(0);  // hand the phase's parse buffers back before the next phase (and the reports)
#endif
    if (!go_on || (pipelined && phase != Phase::kScan)) break;
  }
  RunSafety(wf, req, run_id, zones, options, &out, err);
  return out;
}

// The `--output json` summary of a run.
nlohmann::json SummaryJson(const std::string& run_id, RunStatus status, int code,
                           const report::RunSummary& summary,
                           const Result<std::vector<std::filesystem::path>>& written,
                           const std::optional<Error>& fatal,
                           const std::vector<std::string>& notification_errors,
                           const std::string& window_closed) {
  nlohmann::json j;
  if (!window_closed.empty()) j["window"] = {{"closed", true}, {"next_opening", window_closed}};
  j["auto_scaling_left"] = nlohmann::json::array();
  for (const auto& l : summary.auto_scaling_left)
    j["auto_scaling_left"].push_back(
        {{"zone", l.zone}, {"instance_id", l.instance_id}, {"group", l.group}, {"status", l.status}});
  if (!notification_errors.empty()) j["notification_errors"] = notification_errors;
  j["run_id"] = run_id;
  j["status"] = RunStatusName(status);
  j["exit_code"] = code;
  j["instances"] = summary.instances;
  j["eligible"] = summary.eligible;
  j["zones_failed"] = summary.zones_failed;
  for (Phase p : report::kAllPhases) {
    const auto& c = summary.phases[static_cast<size_t>(p)].counts;
    j["phases"][PhaseName(p)] = {{"succeeded", c.succeeded},
                                 {"failed", c.failed},
                                 {"skipped", c.skipped},
                                 {"pending", c.pending},
                                 {"not_run", c.not_run}};
  }
  // NoReboot's outcome of its own (counted as succeeded above, never as an error).
  const auto& by_status = summary.phases[static_cast<size_t>(Phase::kPatch)].by_status;
  auto pending = by_status.find(PatchStatusName(PatchStatus::kInstalledPendingReboot));
  j["phases"]["patch"]["installed_pending_reboot"] = pending == by_status.end() ? 0 : pending->second;
  j["reports"] = nlohmann::json::array();
  if (written.ok())
    for (const auto& p : *written) j["reports"].push_back(p.string());
  if (fatal)
    j["error"] = {{"category", CategoryName(fatal->category)}, {"message", RedactedErrorText(*fatal)}};
  return j;
}

}  // namespace

Result<int> ConcludeRun(const PhasesOutcome& outcome, state::StateStore& store, const std::string& run_id,
                        const config::Config& config, state::RunLock* lock, Clock& clock, bool json_output,
                        RunHooks& hooks, Context& ctx) {
  std::ostream& err = *ctx.err;
  const bool interrupted = outcome.interrupted;
  const std::optional<Error>& fatal = outcome.fatal;
  // The instances are streamed from the store in batches (one pass for the summary, one per format),
  // never loaded all at once. This process holds the run's lock and its workflow is done, so no
  // one writes the run between the passes.
  FP_ASSIGN_OR_RETURN(std::unique_ptr<report::StoreSource> source, report::StoreSource::Open(store, run_id));
  FP_ASSIGN_OR_RETURN(report::RunSummary summary, report::Summarize(*source));
  RunStatus status = interrupted             ? RunStatus::kInterrupted
                     : fatal                 ? RunStatus::kFailed
                     : summary.HasFailures() ? RunStatus::kCompletedWithFailures
                                             : RunStatus::kSucceeded;
  FP_RETURN_IF_ERROR(store.UpdateRunStatus(run_id, status));
  source->SetRunStatus(status);
  summary.overall_status = RunStatusName(status);
  report::WriteOptions wopts;
  wopts.generated_at = FormatIso8601(clock.Now());
  auto written =
      report::WriteReports(*source, summary, config.reporting.output_dir, ReportFormats(config), wopts);
  if (lock) (void)lock->Release();

  int code = interrupted                ? kExitInterrupted
             : fatal                    ? ExitCodeFor(fatal->category)
             : outcome.zone_auth_failed ? kExitAuth
             : summary.HasFailures()    ? kExitInstanceFailures
                                        : kExitOk;
  std::vector<std::string> report_paths;
  if (written.ok())
    for (const auto& p : *written) report_paths.push_back(p.string());
  hooks.RunDone(status, code, summary, report_paths, fatal ? &*fatal : nullptr);
  const std::vector<std::string> notification_errors = hooks.NotificationFailures();
  for (const auto& n : notification_errors) err << "fleetpatch: notification not delivered: " << n << "\n";
  if (json_output) {
    *ctx.out << DumpJson(SummaryJson(run_id, status, code, summary, written, fatal, notification_errors,
                                     outcome.window_closed),
                         2)
             << "\n";
  } else {
    *ctx.out << report::FormatSummaryText(source->run(), summary);
    if (written.ok()) {
      *ctx.out << "Reports:\n";
      for (const auto& p : *written) *ctx.out << "  " << p.string() << "\n";
    }
    if (!outcome.window_closed.empty()) {
      *ctx.out << "Maintenance window closed: no new wave started; " << outcome.window_closed
               << ". Continue then with `fleetpatch --resume --run " << run_id << "`\n";
    } else if (interrupted) {
      *ctx.out << "Interrupted: continue with `fleetpatch --resume --run " << run_id << "`\n";
    }
  }
  if (!written.ok())
    err << "fleetpatch: could not write the reports: " << RedactedErrorText(written.error()) << "\n";
  return code;
}

workflow::WorkflowOptions WorkflowOptionsFrom(const config::Config& c) {
  workflow::WorkflowOptions o;
  o.backup_enabled = c.workflow.phases.backup;
  o.backup_required = c.backup.required;
  o.ami_timeout = c.workflow.timeouts.ami_creation;
  o.patch_timeout = c.workflow.timeouts.patch_execution;
  o.ssm_timeout = c.workflow.timeouts.ssm_connection;
  o.precheck_execution_timeout_s = static_cast<int>(c.workflow.timeouts.precheck_command.count());
  o.poll_interval = c.workflow.poll_interval;
  o.ami_first_poll = c.workflow.first_poll.ami;
  o.precheck_first_poll = c.workflow.first_poll.precheck;
  o.patch_first_poll = c.workflow.first_poll.patch;
  o.reboot_first_poll = c.workflow.first_poll.reboot;
  o.zone_workers = c.concurrency.zone_workers;
  o.dry_run = c.dry_run;
  o.ami_name_template = c.backup.name_template;
  o.no_reboot = c.backup.no_reboot;
  o.retention_days = c.backup.retention_days;
  o.keep_failed_images = c.backup.keep_failed;
  o.max_pending_images = c.concurrency.max_pending_images_per_zone;
  o.max_commands = c.concurrency.max_commands_per_zone;
  o.extra_tags.assign(c.backup.tags.begin(), c.backup.tags.end());
  for (auto* t : {&o.linux_thresholds, &o.windows_thresholds}) {
    t->min_free_disk_percent = c.precheck.min_free_disk_percent;
    t->min_free_disk_gib = c.precheck.min_free_disk_gib;
    t->mounts = c.precheck.mounts;
    t->max_load_per_cpu = c.precheck.max_load_per_cpu;
    t->min_free_memory_percent = c.precheck.min_free_memory_percent;
    t->min_free_memory_mib = c.precheck.min_free_memory_mib;
    t->fail_on_pending_reboot = c.precheck.fail_on_pending_reboot;
    t->fail_on_package_lock = c.precheck.fail_on_package_lock;
  }
  o.linux_thresholds.critical_services = c.precheck.critical_services.linux_services;
  o.windows_thresholds.critical_services = c.precheck.critical_services.windows_services;
  o.min_agent_version = c.precheck.min_ssm_agent_version;
  o.patch_document = c.patch.document;
  o.patch_operation = config::PatchOperationName(c.patch.operation);
  o.reboot_option = config::RebootOptionName(c.patch.reboot_option);
  o.fail_on_pending_reboot = c.patch.fail_on_pending_reboot;
  o.reboot_timeout = c.workflow.timeouts.reboot;
  o.standby_timeout = c.workflow.timeouts.standby;
  o.baseline_override = c.patch.baseline_override;
  o.canary_size = c.patch.canary_size;
  o.wave_size = c.patch.max_concurrency;
  o.error_budget = c.error_budget;
  o.auto_scaling = c.patch.auto_scaling;
  o.eligibility.skip_auto_scaling_members = c.patch.auto_scaling == config::AutoScalingMode::kSkip;
  o.max_unavailable = c.patch.max_unavailable;
  o.max_unavailable_tags = c.patch.max_unavailable_tags;
  o.window = c.workflow.window;
  o.postcheck = c.workflow.phases.postcheck;
  o.rollback = config::RollbackModeName(c.patch.rollback);
  o.delete_replaced_root_volume = c.patch.delete_replaced_root_volume;
  return o;
}

std::vector<ReportFormat> ReportFormats(const config::Config& c) {
  return FormatsToWrite(c.reporting.formats);
}

std::vector<workflow::ZoneSpec> ZoneSpecsFrom(const config::Config& c) {
  std::vector<workflow::ZoneSpec> zones;
  for (const auto& z : c.landing_zones) {
    if (!z.enabled) continue;
    workflow::ZoneSpec s;
    s.info.name = z.name;
    s.info.account_id = z.account_id;
    s.info.region = z.region;
    s.info.role_arn = z.role_arn;
    s.tag_filters = z.filter_tags;
    s.exclude_tags = z.exclude_tags;
    zones.push_back(std::move(s));
  }
  return zones;
}

Result<int> ExecuteRun(const Options& options, RunRequest req, Context& ctx) {
  std::ostream& err = *ctx.err;
  const bool json_output = options.output == OutputFormat::kJson;
  auto zones = ZoneSpecsFrom(req.config);
  if (zones.empty() && Contains(req.phases, Phase::kScan)) {
    return Error::Config(
        "no enabled landing zone: add one to the inventory (--landing-zones FILE) or the config");
  }
  if (req.phases.empty() && !req.postcheck && !req.rollback) {
    return Error::Config("no phase to run: workflow.phases turns every phase off");
  }
  FP_RETURN_IF_ERROR(CheckNotificationSecrets(req.config, ctx.env));

  if (NeedsPatchConfirmation(options, req.config)) {
    std::string summary = "fleetpatch is about to patch production instances in " +
                          std::to_string(zones.size()) + " landing zone(s) (" + req.config.patch.document +
                          ", " + config::RebootOptionName(req.config.patch.reboot_option) + ").";
    FP_RETURN_IF_ERROR(ConfirmProduction(summary, options.yes, ctx.terminal));
  }

  RealClock& clock = DefaultClock();
  // --state is already in config.state.path (ApplyOptions); keep it ahead of FLEETPATCH_STATE_URL.
  const std::string location =
      StateLocationFor(options.state_path.empty() ? "" : req.config.state.path, req.config.state, ctx.env);
  FP_ASSIGN_OR_RETURN(auto store, OpenStore(location, clock));
  FP_ASSIGN_OR_RETURN(auto opened, OpenRun(options, req, *store, clock, ctx.env, location, err));
  RunInfo run = std::move(opened.first);
  std::unique_ptr<state::RunLock> lock = std::move(opened.second);
  if (!options.quiet)
    err << "fleetpatch: run " << run.run_id << " (state " << DisplayLocation(location) << ")\n";
  FP_RETURN_IF_ERROR(store->UpdateRunStatus(run.run_id, RunStatus::kRunning));
  RunHooks hooks(options, req.config, ctx, clock);  // --metrics-file, notifications

  FP_ASSIGN_OR_RETURN(auto aws_stack, AwsStack::Create(req.config, options, ctx.env, clock,
                                                       req.base_credentials, hooks.AttemptObserver()));
  FP_RETURN_IF_ERROR(
      hooks.Connect(aws_stack->context(), aws_stack->base_credentials(), aws_stack->transport()));
  hooks.Start(run.run_id, req.phases, req.workflow.dry_run);
  workflow::ZoneConnector& connector = aws_stack->connector();

  workflow::Progress::Options popts;
  popts.terminal = !json_output && isatty(STDERR_FILENO);
  popts.quiet = options.quiet;
  workflow::InterruptGuard interrupt_guard;
  const workflow::CancelToken cancel = workflow::InterruptToken();
  workflow::Workflow wf(req.workflow, *store, connector, clock, popts, cancel);

  PhasesOutcome outcome = RunPhases(wf, req, run.run_id, zones, options, cancel, hooks, err);
  for (const auto& line : wf.Plan()) *ctx.out << (json_output ? "" : "dry run: ") << line << "\n";

  return ConcludeRun(outcome, *store, run.run_id, req.config, lock.get(), clock, json_output, hooks, ctx);
}

}  // namespace fleetpatch::cli
