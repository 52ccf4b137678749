// The run-wide entry points: the zone pool, the prerequisites of each phase, a phase's end, and the
// pipelined run (backup + precheck + patch per instance). Each phase's own work is in its file.
#include "workflow/workflow.h"

#include <algorithm>

#include "workflow/executor.h"
#include "workflow/pipeline.h"
#include "workflow/result_sink.h"
#include "workflow/scheduler.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {
namespace {

// What the pipeline reads of eligible records (of one zone, or all when `zone` is empty): statuses,
// not tags or outputs.
state::InstanceQuery WorkflowView(const std::string& zone) {
  state::InstanceQuery q;
  q.zone = zone;
  q.eligible = true;
  q.details = false;
  return q;
}

const ZoneSpec* FindZone(const std::vector<ZoneSpec>& zones, const std::string& name) {
  for (const auto& z : zones)
    if (z.info.name == name) return &z;
  return nullptr;
}

}  // namespace

struct Workflow::ZoneConn {
  std::shared_ptr<ZoneApi> api;
  std::optional<Error> error;
};

Workflow::Workflow(WorkflowOptions options, state::StateStore& store, ZoneConnector& connector, Clock& clock,
                   Progress::Options progress, CancelToken cancel)
    : options_(std::move(options)),
      store_(store),
      connector_(connector),
      clock_(clock),
      progress_options_(progress),
      cancel_(std::move(cancel)) {}

Workflow::~Workflow() = default;

// Moves `runs` into per-zone lists and releases its buffer at once (a by-value parameter would
// live, with its ~1.4 KiB per moved-from instance, until the caller's whole statement ends).
Workflow::ByZone Workflow::SplitByZone(std::vector<InstanceRun>&& runs) {
  ByZone m;
  for (auto& r : runs) m[r.info.zone].push_back(std::move(r));
  std::vector<InstanceRun>().swap(runs);
  return m;
}

std::vector<std::string> Workflow::Plan() const {
  std::lock_guard<std::mutex> lock(mu_);
  return plan_;
}

Result<ZoneApi*> Workflow::Api(const ZoneSpec& zone) {
  std::unique_ptr<ZoneConn>* slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot = &conns_[zone.info.name];
    if (*slot) {
      if ((*slot)->error) return *(*slot)->error;
      return (*slot)->api.get();
    }
  }
  // Connecting (assuming the role) happens outside the lock; each zone is connected by one thread.
  auto conn = std::make_unique<ZoneConn>();
  auto api = connector_.Connect(zone);
  if (api.ok()) {
    conn->api = std::move(api).value();
  } else {
    conn->error = api.error();
  }
  std::lock_guard<std::mutex> lock(mu_);
  *slot = std::move(conn);
  if ((*slot)->error) return *(*slot)->error;
  return (*slot)->api.get();
}

std::chrono::system_clock::time_point Workflow::RunStart(const std::string& run_id) {
  auto run = store_.GetRun(run_id);
  std::chrono::system_clock::time_point t = clock_.Now();
  if (run.ok()) ParseIso8601(run->created_at, &t);
  return t;
}

Status Workflow::RequirePhase(const std::string& run_id, Phase needed, Phase wanted) {
  FP_ASSIGN_OR_RETURN(RunInfo run, store_.GetRun(run_id));
  const auto& done = run.phases_completed;
  if (std::find(done.begin(), done.end(), PhaseName(needed)) == done.end()) {
    return Error::Validation(std::string("run ") + run_id + " has no " + PhaseName(needed) +
                             " results: run `--workflow " + PhaseName(needed) + "` before `--workflow " +
                             PhaseName(wanted) + "`");
  }
  return OkStatus();
}

Status Workflow::RequireEligible(const std::string& run_id, const std::string& what) {
  FP_ASSIGN_OR_RETURN(auto counts, store_.CountByStatus(run_id, Phase::kScan));
  if (counts["eligible"] == 0) {
    return Error::Validation("nothing to " + what + ": the scan of run " + run_id +
                             " found no eligible instance");
  }
  return OkStatus();
}

Result<PhaseSummary> Workflow::EndPhase(const std::string& run_id, Phase phase, ResultSink& sink,
                                        bool resumable) {
  FP_RETURN_IF_ERROR(sink.Flush());
  PhaseSummary summary = sink.Close(phase);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& line : sink.PlanLines())
      if (std::find(plan_.begin(), plan_.end(), line) == plan_.end()) plan_.push_back(line);
  }
  summary.interrupted = cancel_.Cancelled() || resumable;
  if (summary.interrupted || options_.dry_run) return summary;  // not done: --resume goes on
  FP_RETURN_IF_ERROR(store_.MarkPhaseCompleted(run_id, phase));
  return summary;
}

void Workflow::ForEachZone(const std::string& run_id, const std::vector<ZoneSpec>& zones, ByZone by_zone,
                           Phase phase, ResultSink& sink, const ZoneWork& work, const ZoneDown& down) {
  std::vector<std::string> names;
  for (auto& [name, _] : by_zone) names.push_back(name);
  auto load = [&](const std::string& name) -> Result<std::vector<InstanceRun>> {
    return std::move(by_zone.find(name)->second);  // each zone's list is taken by one worker only
  };
  ForEachZone(run_id, zones, names, load, phase, sink, work, down);
}

void Workflow::ForEachZone(const std::string& run_id, const std::vector<ZoneSpec>& zones,
                           const std::vector<std::string>& names, const ZoneLoad& load, Phase phase,
                           ResultSink& sink, const ZoneWork& work, const ZoneDown& down) {
  const auto run_start = RunStart(run_id);
  ParallelFor(names.size(), static_cast<size_t>(options_.zone_workers), [&](size_t i) {
    auto batch = load(names[i]);
    if (!batch.ok()) {
      sink.ZoneError(phase, InZone(batch.error(), names[i]));
      return;
    }
    const ZoneSpec* zone = FindZone(zones, names[i]);
    auto api = zone ? Api(*zone) : Result<ZoneApi*>(Error::Config("it is no longer in the inventory"));
    if (!api.ok()) {
      sink.ZoneError(phase, InZone(api.error(), names[i]));
      down(*batch, api.error());
      sink.Journal("error", names[i], "", phase, "zone failed: " + api.error().ToString());
      return;
    }
    ZoneContext ctx{options_, *zone, **api, sink, cancel_, run_start};
    Status st = work(ctx, std::move(batch).value());
    if (!st.ok()) sink.ZoneError(phase, InZone(st.error(), names[i]));
  });
}

// ---------------------------------------------------------------------------------------------
// The pipeline

Result<std::vector<PhaseSummary>> Workflow::Pipeline(const std::string& run_id,
                                                     const std::vector<ZoneSpec>& zones) {
  if (options_.dry_run)
    return Error::Internal("a dry run plans the phases one after the other, not as a pipeline");
  FP_RETURN_IF_ERROR(
      RequirePhase(run_id, Phase::kScan, options_.backup_enabled ? Phase::kBackup : Phase::kPrecheck));
  FP_RETURN_IF_ERROR(RequireEligible(run_id, options_.backup_enabled ? "back up" : "precheck"));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  RolloutEnd end;
  FP_RETURN_IF_ERROR(Rollout(run_id, zones, /*prepare=*/true, sink, &end));
  std::vector<PhaseSummary> out;
  for (Phase phase : {Phase::kBackup, Phase::kPrecheck}) {
    FP_ASSIGN_OR_RETURN(PhaseSummary s, EndPhase(run_id, phase, sink));
    out.push_back(std::move(s));
  }
  FP_ASSIGN_OR_RETURN(PhaseSummary patch, EndPatch(run_id, sink, end));
  out.push_back(std::move(patch));
  return out;
}

Result<PhaseSummary> Workflow::EndPatch(const std::string& run_id, ResultSink& sink, const RolloutEnd& end) {
  FP_ASSIGN_OR_RETURN(PhaseSummary s, EndPhase(run_id, Phase::kPatch, sink, end.window_closed()));
  s.budget_spent = end.halted.has_value();
  if (end.halted) s.halt_reason = *end.halted;
  s.window_closed = end.window_closed();
  s.next_window = end.next_window;
  return s;
}

Status Workflow::SafetyGates(const std::string& run_id, RolloutOptions* ro) {
  if (options_.window.enabled) {
    FP_ASSIGN_OR_RETURN(MaintenanceWindow w, MaintenanceWindow::Create(options_.window, options_.tzdir));
    ro->window = std::make_shared<const MaintenanceWindow>(std::move(w));
    ro->clock = &clock_;
  }
  if (!options_.max_unavailable) return OkStatus();
  // Every instance of the run, with its tags: a percentage is of the whole group.
  FP_ASSIGN_OR_RETURN(std::vector<InstanceInfo> infos, store_.LoadInstances(run_id));
  std::vector<BudgetMember> budget;
  budget.reserve(infos.size());
  for (auto& i : infos) {
    auto g = i.tags.find(kAutoScalingGroupTag);
    std::string group = g == i.tags.end() ? "" : g->second;
    budget.push_back({i.instance_id, i.account_id, i.region, std::move(group), std::move(i.tags)});
  }
  ro->budget =
      std::make_shared<DisruptionBudget>(*options_.max_unavailable, options_.max_unavailable_tags, budget);
  return OkStatus();
}

Result<std::shared_ptr<GroupSuspensions>> Workflow::RunWideSuspensions(const std::string& run_id) {
  if (options_.auto_scaling != config::AutoScalingMode::kSuspend) return std::shared_ptr<GroupSuspensions>();
  auto groups = std::make_shared<GroupSuspensions>();
  state::InstanceQuery q;
  q.eligible = true;  // with the tags (details): the group's name
  FP_RETURN_IF_ERROR(store_.ForEachInstance(run_id, q, 512, [&](std::vector<InstanceRun>&& page) {
    for (const auto& r : page) {
      auto g = r.info.tags.find(kAutoScalingGroupTag);
      const bool over = PatchOver(r) || (r.patch && r.patch->status == PatchStatus::kSkipped);
      if (g != r.info.tags.end() && !over)
        groups->Open(GroupKey(r.info.account_id, r.info.region, g->second), r.info.instance_id);
    }
    return OkStatus();
  }));
  return groups;
}

struct Workflow::RolloutPlan {
  RolloutHistory history;
  int64_t backups = 0, prechecks = 0;                 // parts still to run
  std::map<std::string, std::vector<size_t>> orders;  // each zone's instances' places in the run's order
};

// The workflow's view of every eligible record of the run (or of `zone`: statuses, not tags or
// outputs), streamed from the store 512 at a time: at 100,000 instances, holding them all cost
// ~290 MiB.
Result<Workflow::RolloutPlan> Workflow::PlanRollout(const std::string& run_id, bool prepare,
                                                    const std::string& zone) {
  RolloutPlan plan;
  RolloutHistoryBuilder history(options_.backup_enabled, options_.backup_required, options_.canary_size,
                                prepare);
  size_t order = 0;
  FP_RETURN_IF_ERROR(
      store_.ForEachInstance(run_id, WorkflowView(zone), 512, [&](std::vector<InstanceRun>&& page) {
        for (const auto& r : page) {
          history.Add(r);
          InstanceState s = StateFromRecord(r, options_.backup_enabled, options_.backup_required, prepare);
          plan.backups += s.stage == Stage::kPreparing && s.backup == PartState::kRunning;
          plan.prechecks += s.stage == Stage::kPreparing && s.precheck == PartState::kRunning;
          plan.orders[r.info.zone].push_back(order++);
        }
        return OkStatus();
      }));
  plan.history = history.Finish();
  return plan;
}

// Runs the planned zones on the pool, each zone's records loaded when a zone worker takes it.
void Workflow::RunRollout(const std::string& run_id, const std::vector<ZoneSpec>& zones,
                          const RolloutPlan& plan, RolloutGate& rollout, bool prepare, ResultSink& sink,
                          std::shared_ptr<GroupSuspensions> groups) {
  if (prepare) {
    sink.Open(Phase::kBackup, plan.backups);
    sink.Open(Phase::kPrecheck, plan.prechecks);
  }
  sink.Open(Phase::kPatch, plan.history.candidates);
  std::vector<std::string> names;
  for (const auto& [name, _] : plan.orders) names.push_back(name);
  auto load = [&](const std::string& zone) {
    auto batch = store_.QueryInstances(run_id, WorkflowView(zone));
    if (!batch.ok()) {  // the zone takes no part: the first wave must not wait for it
      rollout.Join(zone, 0, 0);
      rollout.Leave(zone);
    }
    return batch;
  };
  auto work = [&](const ZoneContext& ctx, std::vector<InstanceRun> batch) {
    ZonePipeline zone(ctx, rollout, std::move(batch), plan.orders.at(ctx.name()), prepare, groups);
    return zone.Run();
  };
  auto down = [&](std::vector<InstanceRun>& batch, const Error& e) {
    (void)RecordZoneDown(sink, rollout, options_, batch, e, prepare);
  };
  ForEachZone(run_id, zones, names, load, Phase::kPatch, sink, work, down);
}

// The rollout over the run's eligible instances, zone by zone on the pool, waves run-wide.
Status Workflow::Rollout(const std::string& run_id, const std::vector<ZoneSpec>& zones, bool prepare,
                         ResultSink& sink, RolloutEnd* end) {
  FP_ASSIGN_OR_RETURN(RolloutPlan plan, PlanRollout(run_id, prepare, ""));
  if (plan.orders.empty())
    return Error::Validation("nothing to patch: run " + run_id + " has no eligible instance");
  RolloutOptions ro;
  FP_RETURN_IF_ERROR(SafetyGates(run_id, &ro));
  ro.canary_size = options_.canary_size;
  ro.wave_size = options_.wave_size;
  ro.error_budget = options_.error_budget;
  ro.canary_must_succeed = options_.canary_must_succeed;
  ro.first_round_zones =
      static_cast<int>(std::min<size_t>(plan.orders.size(), std::max(1, options_.zone_workers)));
  FP_ASSIGN_OR_RETURN(auto rollout, RolloutScheduler::Create(ro, plan.history, cancel_));
  FP_ASSIGN_OR_RETURN(auto groups, RunWideSuspensions(run_id));
  RunRollout(run_id, zones, plan, *rollout, prepare, sink, std::move(groups));
  if (rollout->Stopped() && !cancel_.Cancelled()) {
    if (rollout->stopped_count() > 0 || rollout->Halt() == HaltReason::kWindowClosed)
      end->halted = rollout->Halt();
    end->next_window = rollout->NextWindow();
    sink.Journal("error", "", "", Phase::kPatch,
                 rollout->StopReason() + "; " + std::to_string(rollout->stopped_count()) +
                     " instance(s) left untouched");
  }
  return sink.Flush();
}

Result<std::vector<PhaseSummary>> Workflow::WorkZone(const std::string& run_id, const ZoneSpec& zone,
                                                     RolloutGate& gate) {
  ResultSink sink(store_, run_id, clock_, progress_options_);
  FP_ASSIGN_OR_RETURN(RolloutPlan plan, PlanRollout(run_id, /*prepare=*/true, zone.info.name));
  RunRollout(run_id, {zone}, plan, gate, /*prepare=*/true, sink);
  FP_RETURN_IF_ERROR(sink.Flush());
  std::vector<PhaseSummary> out;
  for (Phase phase : {Phase::kBackup, Phase::kPrecheck, Phase::kPatch}) {
    out.push_back(sink.Close(phase));
    out.back().interrupted = cancel_.Cancelled();
  }
  return out;
}

}  // namespace fleetpatch::workflow
