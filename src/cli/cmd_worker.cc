// `fleetpatch worker --run ID [--zone NAME ...] [--worker-id ID] [--lease-ttl S]`: one of several
// processes, on one machine or many, working the zones of one scanned run through a shared state
// store (docs/team.md). A worker claims a zone under a lease (renewed by a heartbeat), runs the
// zone's pipeline (backup, precheck, patch) with the canary, the waves and the error budget kept in
// the store's rollout record, releases the zone as done, and claims the next. A zone whose worker
// died is taken over once its lease expires and resumed from the store: no second AMI, no second
// patch command. The worker that finds every zone of the run done writes the run's reports.
// A worker works up to concurrency.zone_workers zones at once, each under its own lease.
// Exit codes: the run's (as `--workflow full`) for the worker that concludes it; otherwise 0 when
// its part is done, 130 when interrupted, or a zone error's code when a zone was unreachable.
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>

#include "cli/across_zones.h"
#include "cli/aws_stack.h"
#include "cli/confirm.h"
#include "cli/run_engine.h"
#include "cli/run_hooks.h"
#include "cli/store_access.h"
#include "common/exit_codes.h"
#include "common/redact.h"
#include "workflow/executor.h"
#include "workflow/interrupt.h"
#include "workflow/lease_heartbeat.h"
#include "workflow/store_rollout.h"

namespace fleetpatch::cli {
namespace {

std::string DefaultWorkerId() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) return "worker:" + std::to_string(getpid());
  return std::string(host) + ":" + std::to_string(getpid());
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The run to join: it exists, is no dry run, and its scan is done.
Result<RunInfo> JoinableRun(state::StateStore& store, const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(RunInfo run, store.GetRun(run_id));
  if (run.dry_run)
    return Error::Validation("run " + run_id + " was a dry run: workers make changes; start a new run");
  if (!Has(run.phases_completed, PhaseName(Phase::kScan))) {
    return Error::Validation("run " + run_id +
                             " has no scan results: run `fleetpatch --workflow scan` first, then " +
                             "start the workers with --run " + run_id);
  }
  return run;
}

// The rollout rules, the error budget resolved against the run's eligible instances. The first
// worker's rules win; later workers join the rollout as it stands.
Status StartRunRollout(state::StateStore& store, const std::string& run_id,
                       const workflow::WorkflowOptions& o) {
  FP_ASSIGN_OR_RETURN(auto counts, store.CountByStatus(run_id, Phase::kScan));
  state::RolloutPolicy p;
  p.canary_size = o.canary_size;
  p.wave_size = o.wave_size;
  p.canary_must_succeed = o.canary_must_succeed;
  p.allowed_failures = o.error_budget.Of(counts["eligible"]);
  FP_RETURN_IF_ERROR(store.StartRollout(run_id, p));
  return OkStatus();
}

// The safety gates that are kept in one process's memory and not yet in the store: several workers
// could not keep them, so a run that needs them is worked by one process.
Status RequireGatesWorkersKeep(const config::Config& c) {
  if (c.patch.max_unavailable) {
    return Error::Config(
        "worker: patch.max_unavailable (a disruption budget) is not kept across workers yet: "
        "work this run with one process (`fleetpatch --resume --run ID`), or remove the budget");
  }
  if (c.workflow.window.enabled) {
    return Error::Config(
        "worker: workflow.window (a maintenance window) is not kept across workers yet: "
        "work this run with one process (`fleetpatch --resume --run ID`), or remove the window");
  }
  // A group with members in two zones of one account and region stays suspended until its last
  // member in either is over: one process knows that (workflow/group_suspensions.h), workers do not.
  if (c.patch.auto_scaling == config::AutoScalingMode::kSuspend) {
    std::set<std::string> seen;
    for (const auto& z : c.landing_zones) {
      if (seen.insert(z.account_id + " " + z.region).second) continue;
      return Error::Config(
          "worker: patch.auto_scaling: suspend with two landing zones in account " + z.account_id +
          " and region " + z.region + " (" + z.name +
          "): a group with members in both is resumed after its last member only when one process "
          "works the run (`fleetpatch --resume --run ID`); or use patch.auto_scaling: standby");
    }
  }
  return OkStatus();
}

// Hands the workflow the zone this worker connected already (no second AssumeRole).
class ConnectedZone : public workflow::ZoneConnector {
 public:
  explicit ConnectedZone(std::shared_ptr<workflow::ZoneApi> api) : api_(std::move(api)) {}
  Result<std::shared_ptr<workflow::ZoneApi>> Connect(const workflow::ZoneSpec&) override { return api_; }

 private:
  std::shared_ptr<workflow::ZoneApi> api_;
};

struct WorkerSetup {
  state::StateStore& store;
  std::string run_id, worker_id;
  std::chrono::milliseconds ttl;
  std::vector<workflow::ZoneSpec> zones;  // the zones this worker may claim
  workflow::WorkflowOptions options;
  workflow::ZoneConnector& connector;
  workflow::RolloutGate& gate;
  Clock& clock;
  workflow::Progress::Options progress;
  std::ostream& err;
};

class Worker {
 public:
  explicit Worker(WorkerSetup s) : s_(std::move(s)) {}
  // Claims and works zones, up to `slots` at once (concurrency.zone_workers), until none is left
  // that this worker may claim (or it is interrupted). The first error of a slot is returned.
  Status Run(int slots);
  const std::vector<Error>& unreachable() const { return unreachable_; }

 private:
  Status ClaimLoop();
  std::vector<std::string> Claimable() const;
  Result<bool> AnyLeft(const std::vector<std::string>& claimable);
  Status Work(state::ZoneLease lease);
  void Print(const std::string& zone, const std::vector<workflow::PhaseSummary>& phases);

  WorkerSetup s_;
  mutable std::mutex mu_;       // guards the two below and the lines written to s_.err
  std::set<std::string> skip_;  // zones this worker could not connect: left to other workers
  std::vector<Error> unreachable_;
};

Status Worker::Run(int slots) {
  std::optional<Error> first;
  const auto n = static_cast<size_t>(std::max(1, slots));
  workflow::ParallelFor(n, n, [&](size_t) {
    Status st = ClaimLoop();
    std::lock_guard<std::mutex> lock(mu_);
    if (!st.ok() && !first) first = st.error();
  });
  if (first) return *first;
  return OkStatus();
}

Status Worker::ClaimLoop() {
  while (!workflow::Interrupted()) {
    const std::vector<std::string> claimable = Claimable();
    if (claimable.empty()) return OkStatus();
    FP_ASSIGN_OR_RETURN(auto lease, s_.store.ClaimZone(s_.run_id, s_.worker_id, claimable, s_.ttl));
    if (lease) {
      FP_RETURN_IF_ERROR(Work(std::move(*lease)));
      continue;
    }
    FP_ASSIGN_OR_RETURN(bool left, AnyLeft(claimable));
    if (!left) return OkStatus();
    // Held by other workers: one of them may die, and its lease expire.
    const auto due = s_.clock.SteadyNow() + s_.ttl / 4;
    while (!workflow::Interrupted() && s_.clock.SteadyNow() < due)
      s_.clock.SleepFor(std::chrono::milliseconds(100));
  }
  return OkStatus();
}

std::vector<std::string> Worker::Claimable() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& z : s_.zones)
    if (!skip_.count(z.info.name)) out.push_back(z.info.name);
  return out;
}

// Whether a zone of `claimable` is not done yet (another worker holds it).
Result<bool> Worker::AnyLeft(const std::vector<std::string>& claimable) {
  FP_ASSIGN_OR_RETURN(auto leases, s_.store.ListZoneLeases(s_.run_id));
  return std::any_of(leases.begin(), leases.end(),
                     [&](const auto& l) { return !l.done && Has(claimable, l.zone); });
}

Status Worker::Work(state::ZoneLease lease) {
  const auto spec =
      std::find_if(s_.zones.begin(), s_.zones.end(), [&](auto& z) { return z.info.name == lease.zone; });
  if (!lease.taken_from.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    s_.err << "fleetpatch: worker " << s_.worker_id << " takes zone " << lease.zone << " over from "
           << lease.taken_from << " (its lease expired)\n";
  }
  auto api = s_.connector.Connect(*spec);
  if (!api.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    skip_.insert(lease.zone);
    unreachable_.push_back(api.error());
    s_.err << "fleetpatch: zone " << lease.zone << ": " << RedactedErrorText(api.error())
           << "; left to other workers\n";
    return s_.store.ReleaseZone(lease, /*done=*/false);
  }
  workflow::CancelToken cancel = workflow::InterruptToken();
  workflow::LeaseHeartbeat heartbeat(s_.store, &lease, s_.ttl, s_.clock, cancel);
  ConnectedZone connected(std::move(api).value());
  workflow::Workflow wf(s_.options, s_.store, connected, s_.clock, s_.progress, cancel);
  auto phases = wf.WorkZone(s_.run_id, *spec, s_.gate);
  if (std::string lost = heartbeat.Stop(); !lost.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    s_.err << "fleetpatch: worker " << s_.worker_id << " stops: " << lost << "\n";
    return OkStatus();  // the zone is another worker's now
  }
  if (!phases.ok()) {
    (void)s_.store.ReleaseZone(lease, /*done=*/false);
    return phases.error();
  }
  Print(lease.zone, *phases);
  return s_.store.ReleaseZone(lease, /*done=*/!workflow::Interrupted());
}

void Worker::Print(const std::string& zone, const std::vector<workflow::PhaseSummary>& phases) {
  std::lock_guard<std::mutex> lock(mu_);
  s_.err << "fleetpatch: worker " << s_.worker_id << ": zone " << zone << ":";
  for (const auto& p : phases) {
    s_.err << " " << PhaseName(p.phase) << " " << p.succeeded << "/" << p.failed << "/" << p.skipped;
  }
  s_.err << " (succeeded/failed/skipped)\n";
  for (const auto& p : phases)
    for (const auto& e : p.zone_errors)
      s_.err << "  zone error [" << CategoryName(e.category) << "]: " << RedactedErrorText(e) << "\n";
}

// The zones of the run this worker may claim: the config's enabled zones (or --zone's) that the
// run's scan recorded.
Result<std::vector<workflow::ZoneSpec>> WorkerZones(state::StateStore& store, const std::string& run_id,
                                                    const config::Config& config, const Options& options) {
  FP_ASSIGN_OR_RETURN(auto mine, SelectZones(config, options.zones));
  FP_ASSIGN_OR_RETURN(auto leases, store.ListZoneLeases(run_id));
  std::vector<workflow::ZoneSpec> out;
  for (auto& z : mine) {
    bool in_run =
        std::any_of(leases.begin(), leases.end(), [&](const auto& l) { return l.zone == z.info.name; });
    if (in_run) out.push_back(std::move(z));
  }
  if (out.empty())
    return Error::Config("worker: none of this worker's landing zones is a zone of run " + run_id);
  return out;
}

Result<bool> AllZonesDone(state::StateStore& store, const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(auto leases, store.ListZoneLeases(run_id));
  return std::all_of(leases.begin(), leases.end(), [](const auto& l) { return l.done; });
}

// Every zone is done: the run's phases are complete, and this worker writes its reports.
Result<int> ConcludeAsLast(state::StateStore& store, const RunInfo& run, const config::Config& config,
                           const Options& options, RunHooks& hooks, Clock& clock, Context& ctx) {
  if (config.workflow.phases.backup) FP_RETURN_IF_ERROR(store.MarkPhaseCompleted(run.run_id, Phase::kBackup));
  FP_RETURN_IF_ERROR(store.MarkPhaseCompleted(run.run_id, Phase::kPrecheck));
  FP_RETURN_IF_ERROR(store.MarkPhaseCompleted(run.run_id, Phase::kPatch));
  PhasesOutcome outcome;
  return ConcludeRun(outcome, store, run.run_id, config, nullptr, clock,
                     options.output == OutputFormat::kJson, hooks, ctx);
}

}  // namespace

Result<int> RunWorkerCommand(const Options& options, Context& ctx) {
  FP_ASSIGN_OR_RETURN(config::Config config, EffectiveConfig(options, ctx.env));
  FP_RETURN_IF_ERROR(RequireGatesWorkersKeep(config));
  RealClock& clock = DefaultClock();
  const std::string location = StateLocationFor(options.state_path, config.state, ctx.env);
  FP_ASSIGN_OR_RETURN(auto store, OpenStore(location, clock));
  FP_ASSIGN_OR_RETURN(RunInfo run, JoinableRun(*store, options.run_id));
  FP_ASSIGN_OR_RETURN(auto zones, WorkerZones(*store, run.run_id, config, options));
  if (NeedsPatchConfirmation(options, config)) {
    FP_RETURN_IF_ERROR(ConfirmProduction("fleetpatch worker is about to patch production instances of run " +
                                             run.run_id + " in up to " + std::to_string(zones.size()) +
                                             " landing zone(s).",
                                         options.yes, ctx.terminal));
  }
  const workflow::WorkflowOptions wopts = WorkflowOptionsFrom(config);
  FP_RETURN_IF_ERROR(StartRunRollout(*store, run.run_id, wopts));
  FP_RETURN_IF_ERROR(store->UpdateRunStatus(run.run_id, RunStatus::kRunning));

  RunHooks hooks(options, config, ctx, clock);
  FP_ASSIGN_OR_RETURN(auto aws,
                      AwsStack::Create(config, options, ctx.env, clock, nullptr, hooks.AttemptObserver()));
  FP_RETURN_IF_ERROR(hooks.Connect(aws->context(), aws->base_credentials(), aws->transport()));
  hooks.Start(run.run_id, {Phase::kBackup, Phase::kPrecheck, Phase::kPatch}, false);

  const std::string id = options.worker_id.empty() ? DefaultWorkerId() : options.worker_id;
  workflow::InterruptGuard interrupt_guard;
  const auto ask_every = std::min<std::chrono::milliseconds>(wopts.poll_interval, std::chrono::seconds(5));
  workflow::StoreRolloutGate gate(*store, run.run_id, clock, workflow::InterruptToken(), ask_every);
  workflow::Progress::Options popts;
  popts.quiet = true;  // several zones' progress lines would interleave: one line per zone instead
  const auto ttl = std::chrono::seconds(options.lease_ttl_s);
  if (!options.quiet)
    *ctx.err << "fleetpatch: worker " << id << " joins run " << run.run_id << " (state "
             << DisplayLocation(location) << ")\n";
  Worker worker({*store, run.run_id, id, ttl, zones, wopts, aws->connector(), gate, clock, popts, *ctx.err});
  FP_RETURN_IF_ERROR(worker.Run(config.concurrency.zone_workers));

  FP_ASSIGN_OR_RETURN(bool all_done, AllZonesDone(*store, run.run_id));
  if (all_done) return ConcludeAsLast(*store, run, config, options, hooks, clock, ctx);
  if (workflow::Interrupted()) {
    *ctx.err << "fleetpatch: worker " << id << " interrupted; its zones are free for other workers\n";
    return kExitInterrupted;
  }
  *ctx.err << "fleetpatch: worker " << id << " has no zone left to claim; the rest of run " << run.run_id
           << " is with other workers\n";
  return worker.unreachable().empty() ? kExitOk : ZoneErrorsExitCode(worker.unreachable());
}

}  // namespace fleetpatch::cli
