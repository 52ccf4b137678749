#include "workflow/rollback.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "workflow/pipeline.h"
#include "workflow/result_sink.h"
#include "workflow/rollback_logic.h"

namespace fleetpatch::workflow {
namespace {

// What the verification reads once for every instance of the zone that needs a new replacement.
struct Evidence {
  std::map<std::string, std::string> root_types;  // instance id -> root device type
  std::map<std::string, ImageView> images;        // image id -> image
  std::set<std::string> owned_snapshots;
};

Result<Evidence> Gather(ZoneApi& api, const std::vector<const InstanceRun*>& runs) {
  Evidence ev;
  std::vector<std::string> instance_ids, image_ids, snapshot_ids;
  for (const auto* r : runs) {
    instance_ids.push_back(r->info.instance_id);
    if (r->backup && !r->backup->ami_id.empty()) image_ids.push_back(r->backup->ami_id);
  }
  FP_RETURN_IF_ERROR(
      api.ForEachInstancePage({{"instance-id", instance_ids}}, [&](std::vector<Ec2InstanceView>&& page) {
        for (auto& v : page) ev.root_types[v.instance_id] = v.root_device_type;
      }));
  if (!image_ids.empty()) {
    FP_ASSIGN_OR_RETURN(auto images, api.DescribeImagesById(image_ids));
    for (auto& img : images) {
      snapshot_ids.insert(snapshot_ids.end(), img.snapshot_ids.begin(), img.snapshot_ids.end());
      ev.images[img.image_id] = std::move(img);
    }
  }
  if (!snapshot_ids.empty()) {
    FP_ASSIGN_OR_RETURN(ev.owned_snapshots, api.DescribeOwnedSnapshotIds(snapshot_ids));
  }
  return ev;
}

RollbackStatus StatusOf(RollbackEligibility e) {
  return e == RollbackEligibility::kUnsupported ? RollbackStatus::kUnsupported : RollbackStatus::kIneligible;
}

}  // namespace

ZoneRollback::ZoneRollback(const ZoneContext& ctx, std::vector<std::pair<InstanceRun, std::string>> todo,
                           bool automatic)
    : ctx_(ctx), poll_(ctx.options.patch_first_poll, ctx.options.poll_interval) {
  const auto now = ctx.clock().SteadyNow();
  for (auto& [run, reason] : todo) {
    const std::string id = run.info.instance_id;
    Item item{std::move(run), {}, now};
    const bool started = item.run.rollback && item.run.rollback->status == RollbackStatus::kInProgress &&
                         !item.run.rollback->task_id.empty();
    if (started) {
      item.result = *item.run.rollback;  // resumed: watch the task already started, never start another
      watching_.push_back(id);
      poll_.Started(now);
    } else {
      item.result.automatic = automatic;
      item.result.reason = reason;
      to_verify_.push_back(id);
    }
    items_.emplace(id, std::move(item));
  }
}

ZoneRollback::~ZoneRollback() = default;

std::vector<std::pair<std::string, RollbackResult>> ZoneRollback::TakeEnded() {
  return std::exchange(ended_, {});
}

std::optional<SteadyTime> ZoneRollback::NextCheck() const {
  if (done_) return std::nullopt;
  const auto now = ctx_.clock().SteadyNow();
  if (!verified_ || ctx_.cancel.Cancelled()) return now;
  std::optional<SteadyTime> due = poll_.Due();
  for (const auto& p : postchecks_) due = Earlier(due, p->NextCheck());
  return due ? due : std::optional<SteadyTime>(now);
}

Status ZoneRollback::Step() {
  if (done_) return OkStatus();
  Status st = OkStatus();
  if (!verified_) st = Verify();
  if (st.ok() && poll_.DueBy(ctx_.clock().SteadyNow()) && !ctx_.cancel.Cancelled()) st = Watch();
  if (st.ok()) st = StepPostchecks();
  if (!st.ok()) {
    ctx_.sink.Journal("error", ctx_.name(), "", Phase::kPatch,
                      "rollback: zone failed: " + st.error().ToString());
    FailOpen(st.error());
    return st;
  }
  if (ctx_.cancel.Cancelled() || (watching_.empty() && postchecks_.empty())) done_ = true;
  return OkStatus();
}

// Reads the evidence once, then each instance is ineligible, unsupported, planned (dry run) or
// its replacement starts.
Status ZoneRollback::Verify() {
  verified_ = true;
  if (to_verify_.empty() || ctx_.cancel.Cancelled()) return OkStatus();
  std::vector<const InstanceRun*> runs;
  for (const auto& id : to_verify_) runs.push_back(&items_.at(id).run);
  FP_ASSIGN_OR_RETURN(Evidence ev, Gather(ctx_.api, runs));
  for (const auto& id : std::exchange(to_verify_, {})) {
    Item& item = items_.at(id);
    const InstanceRun& r = item.run;
    RollbackSubject subject;
    subject.identity = {ctx_.zone.info.account_id, id, ctx_.run_id(), r.backup ? r.backup->ami_name : ""};
    subject.root_device_type = ev.root_types.count(id) ? ev.root_types[id] : "";
    subject.backup = r.backup ? &*r.backup : nullptr;
    const ImageView* image = nullptr;
    if (r.backup && ev.images.count(r.backup->ami_id)) image = &ev.images[r.backup->ami_id];
    RollbackCheck check = CheckRollbackEligibility(subject, image, ev.owned_snapshots);
    item.result.ami_id = r.backup ? r.backup->ami_id : "";
    item.result.started_at = ctx_.Now();
    if (check.verdict != RollbackEligibility::kEligible) {
      item.result.status = StatusOf(check.verdict);
      item.result.reason +=
          (item.result.reason.empty() ? "" : "; ") + std::string("not rolled back: ") + check.reason;
      FP_RETURN_IF_ERROR(Ended(item));
    } else if (ctx_.options.dry_run) {
      ctx_.sink.Plan(
          fmt::format("rollback: would replace the root volume of {} ({}) from its verified backup {}", id,
                      ctx_.name(), item.result.ami_id));
    } else {
      FP_RETURN_IF_ERROR(Start(item));
    }
  }
  return OkStatus();
}

// Starts the replacement and records its task id before any wait.
Status ZoneRollback::Start(Item& item) {
  const std::string& id = item.run.info.instance_id;
  auto task =
      ctx_.api.CreateReplaceRootVolumeTask(id, item.result.ami_id, ctx_.options.delete_replaced_root_volume,
                                           ReplaceRootClientToken(ctx_.run_id(), id));
  if (!task.ok()) {
    item.result.status = RollbackStatus::kFailed;
    item.result.error = ToProblem(task.error());
    return Ended(item);
  }
  item.result.status = RollbackStatus::kInProgress;
  item.result.task_id = task->task_id;
  item.result.task_state = task->state;
  item.started = ctx_.clock().SteadyNow();
  FP_RETURN_IF_ERROR(Save(item));
  ctx_.sink.Journal("warning", ctx_.name(), id, Phase::kPatch,
                    "rollback started: root volume replaced from " + item.result.ami_id + " (task " +
                        item.result.task_id + "): " + item.result.reason);
  watching_.push_back(id);
  poll_.Started(item.started);
  return OkStatus();
}

// One DescribeReplaceRootVolumeTasks for every task in flight; a succeeded task's instance is
// checked again, a failed or overdue one ends rollback_failed.
Status ZoneRollback::Watch() {
  poll_.Checked(ctx_.clock().SteadyNow());
  std::vector<std::string> task_ids;
  for (const auto& id : watching_) task_ids.push_back(items_.at(id).result.task_id);
  FP_ASSIGN_OR_RETURN(auto tasks, ctx_.api.DescribeReplaceRootVolumeTasks(task_ids));
  std::map<std::string, std::string> state;
  for (const auto& t : tasks) state[t.task_id] = t.state;
  std::vector<std::string> still;
  std::vector<InstanceRun> back;
  for (const auto& id : watching_) {
    Item& item = items_.at(id);
    if (state.count(item.result.task_id)) item.result.task_state = state[item.result.task_id];
    const ReplaceTaskProgress p = ClassifyReplaceTask(item.result.task_state);
    const bool overdue = ctx_.clock().SteadyNow() - item.started > ctx_.options.patch_timeout;
    if (p == ReplaceTaskProgress::kSucceeded) {
      back.push_back(item.run);
    } else if (p == ReplaceTaskProgress::kFailed || overdue) {
      item.result.status = RollbackStatus::kFailed;
      item.result.reason +=
          fmt::format("; the root-volume replacement {} is {}{}", item.result.task_id, item.result.task_state,
                      overdue ? " after workflow.timeouts.patch_execution" : "");
      FP_RETURN_IF_ERROR(Ended(item));
    } else {
      still.push_back(id);
    }
  }
  watching_ = std::move(still);
  if (watching_.empty()) poll_.Idle();
  if (!back.empty())
    postchecks_.push_back(std::make_unique<ZonePostcheck>(ctx_, std::move(back), /*save=*/false));
  return OkStatus();
}

// The postcheck after the replacement decides nothing more: the instance is rolled back, and the
// reports say how healthy it came back.
Status ZoneRollback::StepPostchecks() {
  for (auto& p : postchecks_) {
    FP_RETURN_IF_ERROR(p->Step());
    for (auto& [id, verdict] : p->TakeEnded()) {
      Item& item = items_.at(id);
      item.result.status = RollbackStatus::kRolledBack;
      item.result.postcheck = PostcheckStatusName(verdict.status);
      if (verdict.status != PostcheckStatus::kHealthy) {
        std::string what;
        for (const auto& g : verdict.regressions) what += (what.empty() ? "" : "; ") + g;
        item.result.reason += "; postcheck after the rollback: " + item.result.postcheck + ": " + what;
      }
      FP_RETURN_IF_ERROR(Ended(item));
    }
  }
  postchecks_.erase(
      std::remove_if(postchecks_.begin(), postchecks_.end(), [](const auto& p) { return p->Done(); }),
      postchecks_.end());
  return OkStatus();
}

void ZoneRollback::FailOpen(const Error& e) {
  done_ = true;
  for (auto& [id, item] : items_) {
    if (over_.count(id)) continue;
    RollbackResult r = item.result;
    r.status = RollbackStatus::kFailed;
    r.error = ToProblem(e);
    ended_.emplace_back(id, std::move(r));
  }
  watching_.clear();
  postchecks_.clear();
}

Status ZoneRollback::Ended(Item& item) {
  item.result.finished_at = ctx_.Now();
  over_.insert(item.run.info.instance_id);
  const bool ok = item.result.status == RollbackStatus::kRolledBack;
  ctx_.sink.Journal(ok ? "warning" : "error", ctx_.name(), item.run.info.instance_id, Phase::kPatch,
                    std::string(RollbackStatusName(item.result.status)) + ": " + item.result.reason);
  ended_.emplace_back(item.run.info.instance_id, item.result);
  return Save(item);
}

Status ZoneRollback::Save(const Item& item) {
  return ctx_.sink.Rollback(item.run.info.zone, item.run.info.instance_id, item.result);
}

}  // namespace fleetpatch::workflow

// ---------------------------------------------------------------------------------------------
// `fleetpatch rollback RUN`, and patch.rollback: auto after a full run's postcheck

namespace fleetpatch::workflow {
namespace {

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool Patched(const InstanceRun& r) {
  return r.patch && r.patch->status != PatchStatus::kSkipped && r.patch->status != PatchStatus::kPending;
}

// Why `r` is rolled back under `req`; "" when it is not. A rollback in flight is watched. Without
// --instance, an instance that needs it and has no rollback result yet (one that ended, or was
// refused, is not redone unasked); an instance named with --instance is rolled back when it was
// patched, needed or not (the operator decided), unless it is rolled back already.
std::string Pick(const InstanceRun& r, const RollbackRequest& req) {
  if (r.rollback && r.rollback->status == RollbackStatus::kInProgress && !r.rollback->task_id.empty()) {
    return r.rollback->reason;
  }
  if (req.instance_ids.empty()) return r.rollback ? "" : RollbackNeed(r);
  if (r.rollback && r.rollback->status == RollbackStatus::kRolledBack) return "";
  std::string need = RollbackNeed(r);
  return need.empty() ? "requested with fleetpatch rollback --instance" : need;
}

// The instances `req` rolls back, each with why, read from the store in batches: only those are
// held, not every eligible record with its details (patch.rollback: auto after a full run rolls
// back a few instances of thousands). Each instance named with --instance must be an eligible,
// patched one of the run.
Result<std::vector<std::pair<InstanceRun, std::string>>> Chosen(state::StateStore& store,
                                                                const RollbackRequest& req,
                                                                const std::string& run_id) {
  state::InstanceQuery q;
  q.eligible = true;  // with the precheck output: the postcheck after the rollback compares with it
  std::map<std::string, bool> named;  // each --instance found: whether it was patched
  FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> kept,
                      store.SelectInstances(run_id, q, [&](const InstanceRun& r) {
                        if (Has(req.instance_ids, r.info.instance_id))
                          named.emplace(r.info.instance_id, Patched(r));
                        if (!req.zones.empty() && !Has(req.zones, r.info.zone)) return false;
                        if (!req.instance_ids.empty() && !Has(req.instance_ids, r.info.instance_id))
                          return false;
                        return Patched(r) && !Pick(r, req).empty();
                      }));
  for (const auto& id : req.instance_ids) {
    auto it = named.find(id);
    if (it == named.end())
      return Error::Validation("instance " + id + " is not an eligible instance of run " + run_id);
    if (!it->second)
      return Error::Validation("instance " + id + " was not patched in run " + run_id +
                               ": nothing to roll back");
  }
  std::vector<std::pair<InstanceRun, std::string>> out;
  for (auto& r : kept) {
    std::string why = Pick(r, req);
    out.emplace_back(std::move(r), std::move(why));
  }
  return out;
}

}  // namespace

Result<SafetySummary> Workflow::Rollback(const std::string& run_id, const std::vector<ZoneSpec>& zones,
                                         const RollbackRequest& request) {
  FP_ASSIGN_OR_RETURN(auto chosen, Chosen(store_, request, run_id));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  SafetySummary out;
  std::map<std::string, std::vector<std::pair<InstanceRun, std::string>>> todo;
  ByZone by_zone;
  for (auto& c : chosen) {
    by_zone[c.first.info.zone].push_back(c.first);
    todo[c.first.info.zone].push_back(std::move(c));
  }
  std::mutex mu;
  auto work = [&](const ZoneContext& ctx, std::vector<InstanceRun>) -> Status {
    ZoneRollback rollback(ctx, std::move(todo.at(ctx.name())), request.automatic);
    Status st = RunToEnd(rollback, ctx);
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, r] : rollback.TakeEnded()) {
      ++(r.status == RollbackStatus::kRolledBack ? out.rolled_back : out.rollback_failed);
    }
    return st;
  };
  auto down = [](std::vector<InstanceRun>&, const Error&) {};  // untouched: --resume or a rerun tries again
  ForEachZone(run_id, zones, std::move(by_zone), Phase::kPatch, sink, work, down);
  FP_RETURN_IF_ERROR(sink.Flush());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& line : sink.PlanLines()) plan_.push_back(line);
  }
  out.zone_errors = sink.Summary(Phase::kPatch).zone_errors;
  out.interrupted = cancel_.Cancelled();
  return out;
}

}  // namespace fleetpatch::workflow
