#include "workflow/pipeline.h"

#include <map>

namespace fleetpatch::workflow {

void SleepUntil(const ZoneContext& ctx, SteadyTime due, const std::function<bool()>& wake) {
  constexpr auto kSlice = std::chrono::milliseconds(100);
  while (!ctx.cancel.Cancelled()) {
    if (wake && wake()) return;
    const auto now = ctx.clock().SteadyNow();
    if (now >= due) return;
    ctx.clock().SleepFor(std::min<std::chrono::nanoseconds>(due - now, kSlice));
  }
}

ZonePipeline::ZonePipeline(const ZoneContext& ctx, RolloutGate& rollout, std::vector<InstanceRun> instances,
                           const std::vector<size_t>& orders, bool prepare,
                           std::shared_ptr<GroupSuspensions> groups)
    : ctx_(ctx), rollout_(rollout), prepare_(prepare), patch_(ctx), after_(ctx) {
  init_ = Classify(std::move(instances), orders, std::move(groups));
}

// Where each instance stands (the store's record): preparing ones go to the backup and/or the
// precheck, qualified ones to the rollout, in-flight patches are watched, blocked ones skipped.
Status ZonePipeline::Classify(std::vector<InstanceRun> instances, const std::vector<size_t>& orders,
                              std::shared_ptr<GroupSuspensions> groups) {
  const WorkflowOptions& o = ctx_.options;
  asg_.emplace(ctx_, instances, /*checks_follow=*/prepare_, std::move(groups));
  std::vector<ZoneBackup::Target> backups;
  std::vector<InstanceRun*> prechecks;  // the entries themselves: one copy of each record per zone
  std::vector<InstanceRun> disabled;
  for (size_t i = 0; i < instances.size(); ++i) {
    Entry e;
    e.run = std::move(instances[i]);
    e.order = i < orders.size() ? orders[i] : i;
    e.state = StateFromRecord(e.run, o.backup_enabled, o.backup_required, prepare_);
    const std::string id = e.run.info.instance_id;
    switch (e.state.stage) {
      case Stage::kPatched:
      case Stage::kStopped:
        continue;  // over in an earlier attempt
      case Stage::kBlocked:
        FP_RETURN_IF_ERROR(Skip(e, PatchBlocker(e.run, o).value_or("not patchable")));
        continue;
      case Stage::kPatching:
        in_flight_.push_back(e.run);
        break;
      case Stage::kQueued:
        qualified_.emplace_back(e.order, id);
        break;
      case Stage::kPreparing:
        ++preparing_;
        if (e.state.backup == PartState::kRunning) {
          backups.push_back(ZoneBackup::TargetOf(e.run));
          // What the precheck's risks see until the backup ends: an AMI being made, not "no backup".
          if (!e.run.backup && e.state.precheck == PartState::kRunning) e.run.backup = BackupResult{};
        }
        break;
    }
    if (prepare_ && !o.backup_enabled && !e.run.backup) disabled.push_back(e.run);
    ++open_;
    Entry& placed = entries_.emplace(id, std::move(e)).first->second;  // nodes stay in place
    if (placed.state.stage == Stage::kPreparing && placed.state.precheck == PartState::kRunning) {
      prechecks.push_back(&placed.run);
    }
  }
  if (!disabled.empty()) FP_RETURN_IF_ERROR(RecordBackupsDisabled(ctx_.sink, disabled));
  if (!backups.empty()) backup_.emplace(ctx_, std::move(backups));
  if (!prechecks.empty()) precheck_.emplace(ctx_, std::move(prechecks));
  return OkStatus();
}

Status ZonePipeline::Run() {
  if (!init_.ok()) return init_;
  // Queued first, then joined: the first wave forms once the last zone of the first round joined,
  // with every zone's qualified instances in the run's order.
  FP_RETURN_IF_ERROR(HandOver());
  std::set<std::string> in_flight_ids;
  for (const auto& r : in_flight_) in_flight_ids.insert(r.info.instance_id);
  rollout_.Hold(ctx_.name(), {in_flight_ids.begin(), in_flight_ids.end()});
  // What an earlier attempt left in Standby or suspended is restored first (--resume).
  if (Status st = asg_->Start(in_flight_ids); !st.ok())
    ctx_.sink.ZoneError(Phase::kPatch, InZone(st.error(), ctx_.name()));
  const bool in_wave = rollout_.Join(ctx_.name(), preparing_, static_cast<int64_t>(in_flight_.size()));
  for (const auto& r : in_flight_) entries_.at(r.info.instance_id).in_wave = in_wave;
  Status st = patch_.Start(std::exchange(in_flight_, {}), 0);
  while (st.ok()) {
    const uint64_t generation = rollout_.Generation();
    st = StepPreparation();
    if (st.ok()) st = StepPatch();
    if (!st.ok() || Over()) break;
    if (ctx_.cancel.Cancelled()) {
      st = StepPreparation();  // lets the backup clean up and everything flush
      break;
    }
    Wait(generation);
  }
  rollout_.Leave(ctx_.name());
  Status flushed = ctx_.sink.Flush();
  return st.ok() ? flushed : st;
}

Status ZonePipeline::StepPreparation() {
  if (backup_) {
    if (!backup_->Done()) {
      if (Status st = backup_->Step(); !st.ok())
        ctx_.sink.ZoneError(Phase::kBackup, InZone(st.error(), ctx_.name()));
    }
    for (auto& [id, b] : backup_->TakeEnded()) FP_RETURN_IF_ERROR(OnBackupEnded(id, b));
  }
  if (precheck_) {
    if (!precheck_->Done()) {
      if (Status st = precheck_->Step(); !st.ok()) {
        ctx_.sink.ZoneError(Phase::kPrecheck, InZone(st.error(), ctx_.name()));
      }
    }
    for (auto& [id, p] : precheck_->TakeEnded()) FP_RETURN_IF_ERROR(OnPrecheckEnded(id, p));
  }
  return HandOver();
}

// Hands the instances that qualified to the rollout (or skips them, if it stopped meanwhile).
Status ZonePipeline::HandOver() {
  if (qualified_.empty()) return OkStatus();
  auto ids = std::exchange(qualified_, {});
  if (rollout_.Enqueue(ctx_.name(), ids)) return OkStatus();
  for (const auto& [order, id] : ids) {  // the rollout stopped meanwhile
    Entry& e = entries_.at(id);
    Apply(e.state, InstanceEvent::kRolloutStopped);
    --open_;
    if (!ctx_.cancel.Cancelled()) FP_RETURN_IF_ERROR(Stop(e, rollout_.StopReason()));
  }
  return OkStatus();
}

// A queued instance that the stopped rollout will not patch: skipped with the reason, except
// when the maintenance window closed: it then stays unrecorded (queued), for --resume.
Status ZonePipeline::Stop(Entry& e, const std::string& why) {
  FP_RETURN_IF_ERROR(asg_->Dropped({e.run.info.instance_id}));
  if (rollout_.Halt() == HaltReason::kWindowClosed) return OkStatus();
  return Skip(e, why);
}

Status ZonePipeline::OnBackupEnded(const std::string& id, const BackupResult& b) {
  Entry& e = entries_.at(id);
  e.run.backup = b;  // the precheck reads it from here for the risks of a verdict still to come
  Apply(e.state, b.status == BackupStatus::kAvailable ? InstanceEvent::kBackupAvailable
                                                      : InstanceEvent::kBackupFailed);
  return Settled(e);
}

Status ZonePipeline::OnPrecheckEnded(const std::string& id, const PrecheckResult& p) {
  Entry& e = entries_.at(id);
  e.run.precheck = p;  // without its output and findings (saved already): the decisions need the status
  Apply(e.state, p.status == PrecheckStatus::kReady ? InstanceEvent::kPrecheckReady
                                                    : InstanceEvent::kPrecheckNotReady);
  return Settled(e);
}

// Both parts over: the instance joins the patch queue, or is skipped with what blocked it.
Status ZonePipeline::Settled(Entry& e) {
  if (e.state.stage == Stage::kPreparing) return OkStatus();
  --preparing_;
  if (e.state.stage == Stage::kQueued) {
    qualified_.emplace_back(e.order, e.run.info.instance_id);
    return OkStatus();
  }
  --open_;
  rollout_.Drop(ctx_.name(), 1);
  FP_RETURN_IF_ERROR(asg_->Dropped({e.run.info.instance_id}));
  return Skip(e, PatchBlocker(e.run, ctx_.options).value_or("not patchable"));
}

Status ZonePipeline::Skip(Entry& e, const std::string& reason) {
  PatchResult p;
  p.status = PatchStatus::kSkipped;
  p.reason = reason;
  return ctx_.sink.Patch(e.run.info.zone, e.run.info.instance_id, p);
}

Status ZonePipeline::StepPatch() {
  int wave = 0;
  auto ids = rollout_.Take(ctx_.name(), &wave);
  if (!ids.empty()) FP_RETURN_IF_ERROR(StartWave(std::move(ids), wave));
  FP_RETURN_IF_ERROR(StepStandby());
  FP_RETURN_IF_ERROR(patch_.Step());
  std::vector<AfterPatchEnd> ended;
  for (const auto& [id, status] : patch_.TakeEnded()) {
    Entry& e = entries_.at(id);
    Apply(e.state, InstanceEvent::kPatchEnded);
    if (!e.run.patch) e.run.patch = PatchResult{};
    e.run.patch->status = status;
    if (!prepare_ || !after_.Take(e.run, status))
      ended.push_back({id, PatchFailed(status), std::nullopt, std::nullopt});
  }
  if (Status st = after_.Step(); !st.ok())
    ctx_.sink.ZoneError(Phase::kPatch, InZone(st.error(), ctx_.name()));
  for (auto& e : after_.TakeEnded()) ended.push_back(std::move(e));
  return InstancesEnded(ended);
}

// Instances whose work in this run is over (patch, and after it the checks and any rollback): the
// rollout counts them, and the Auto Scaling handling and the disruption budget let them go.
Status ZonePipeline::InstancesEnded(const std::vector<AfterPatchEnd>& ended) {
  int64_t n = 0;
  int failures = 0, outside = 0;
  std::vector<std::string> finished;
  for (const auto& end : ended) {
    Entry& e = entries_.at(end.instance_id);
    --open_;
    if (end.postcheck) e.run.postcheck = end.postcheck;
    if (end.rollback) e.run.rollback = end.rollback;
    finished.push_back(end.instance_id);
    rollout_.InstanceEnded(ctx_.name(), end.instance_id, end.counts);
    if (e.in_wave) {
      ++n;
      failures += end.counts ? 1 : 0;
    } else {
      outside += end.counts ? 1 : 0;
    }
  }
  FP_RETURN_IF_ERROR(OnInstancesFinished(finished));
  if (n > 0 || outside > 0) rollout_.Ended(ctx_.name(), n, failures, outside);
  return rollout_.Stopped() ? SkipStopped() : OkStatus();
}

// The zone's share of a wave: members of Auto Scaling groups are put in Standby (or their groups
// suspended) first; one that cannot be is not patched (skipped with the reason, its wave place ends).
Status ZonePipeline::StartWave(std::vector<std::string> ids, int wave) {
  std::vector<InstanceRun> batch;
  for (const auto& id : ids) {
    Entry& e = entries_.at(id);
    Apply(e.state, InstanceEvent::kWaveStarted);
    e.wave = wave;
    batch.push_back(e.run);
  }
  std::vector<AsgBlocked> blocked;
  FP_ASSIGN_OR_RETURN(auto go, asg_->BeforePatch(std::move(batch), &blocked));
  FP_RETURN_IF_ERROR(NotPatched(blocked));
  return go.empty() ? OkStatus() : patch_.Start(std::move(go), wave);
}

Status ZonePipeline::StepStandby() {
  std::vector<AsgBlocked> blocked;
  FP_ASSIGN_OR_RETURN(auto ready, asg_->TakeInStandby(&blocked));
  FP_RETURN_IF_ERROR(NotPatched(blocked));
  std::map<int, std::vector<InstanceRun>> by_wave;
  for (auto& r : ready) {
    const int wave = entries_.at(r.info.instance_id).wave;
    by_wave[wave].push_back(std::move(r));
  }
  for (auto& [wave, runs] : by_wave) FP_RETURN_IF_ERROR(patch_.Start(std::move(runs), wave));
  return OkStatus();
}

Status ZonePipeline::NotPatched(const std::vector<AsgBlocked>& blocked) {
  std::vector<std::string> blocked_ids;
  for (const auto& b : blocked) {
    Entry& e = entries_.at(b.instance_id);
    Apply(e.state, InstanceEvent::kPatchEnded);
    --open_;
    FP_RETURN_IF_ERROR(Skip(e, b.reason));
    blocked_ids.push_back(b.instance_id);
  }
  if (!blocked_ids.empty()) {
    FP_RETURN_IF_ERROR(asg_->Dropped(blocked_ids));
    rollout_.Release(ctx_.name(), blocked_ids);
    rollout_.Ended(ctx_.name(), static_cast<int64_t>(blocked_ids.size()), 0);
  }
  return OkStatus();
}

Status ZonePipeline::OnInstancesFinished(const std::vector<std::string>& ids) {
  if (ids.empty()) return OkStatus();
  std::vector<InstanceRun> runs;
  for (const auto& id : ids) runs.push_back(entries_.at(id).run);
  FP_RETURN_IF_ERROR(asg_->Finished(runs));
  rollout_.Release(ctx_.name(), ids);
  return OkStatus();
}

// The rollout stopped: what this zone holds queued is skipped with the reason (unless the run was
// cancelled: it then stays for --resume).
Status ZonePipeline::SkipStopped() {
  if (stop_seen_ || ctx_.cancel.Cancelled()) return OkStatus();
  stop_seen_ = true;
  const std::string why = rollout_.StopReason();
  int64_t n = 0;
  for (auto& [id, e] : entries_) {
    if (!Apply(e.state, InstanceEvent::kRolloutStopped)) continue;
    --open_;
    ++n;
    FP_RETURN_IF_ERROR(Stop(e, why));
  }
  rollout_.NoteStopped(n);
  return OkStatus();
}

bool ZonePipeline::Over() const {
  return open_ == 0 && (!backup_ || backup_->Done()) && (!precheck_ || precheck_->Done()) && patch_.Idle() &&
         after_.Idle();
}

void ZonePipeline::Wait(uint64_t generation) {
  std::optional<SteadyTime> due = Earlier(Earlier(patch_.NextCheck(), after_.NextCheck()), asg_->NextCheck());
  if (backup_) due = Earlier(due, backup_->NextCheck());
  if (precheck_) due = Earlier(due, precheck_->NextCheck());
  if (due) {
    SleepUntil(ctx_, *due, [&] { return rollout_.Generation() != generation; });
  } else {
    rollout_.WaitForChange(generation, std::chrono::milliseconds(100));
  }
}

}  // namespace fleetpatch::workflow

namespace fleetpatch::workflow {

Status RecordZoneDown(ResultSink& sink, RolloutGate& rollout, const WorkflowOptions& o,
                      std::vector<InstanceRun>& instances, const Error& e, bool prepare) {
  const std::string zone = instances.empty() ? std::string() : instances.front().info.zone;
  rollout.Join(zone, 0, 0);
  const std::string now = FormatIso8601(sink.clock().Now());
  if (prepare) {
    sink.ZoneError(Phase::kBackup, InZone(e, zone));
    sink.ZoneError(Phase::kPrecheck, InZone(e, zone));
  }
  int failed = 0;
  int64_t skipped = 0;
  for (auto& r : instances) {
    InstanceState s = StateFromRecord(r, o.backup_enabled, o.backup_required, prepare);
    if (s.stage == Stage::kPatched || s.stage == Stage::kStopped) continue;
    if (prepare && s.stage == Stage::kPreparing) {
      if (s.backup == PartState::kRunning && !(r.backup && !r.backup->ami_id.empty())) {
        BackupResult b = r.backup.value_or(BackupResult{});
        b.status = BackupStatus::kFailed;
        b.error = ToProblem(e);
        b.finished_at = now;
        r.backup = b;
        FP_RETURN_IF_ERROR(sink.Backup(zone, r.info.instance_id, b));
      }
      if (s.precheck == PartState::kRunning) {
        PrecheckResult p;
        p.status = PrecheckStatus::kFailed;
        p.error = ToProblem(e);
        p.finished_at = now;
        r.precheck = p;
        FP_RETURN_IF_ERROR(sink.Precheck(zone, r.info.instance_id, p));
      }
    }
    PatchResult p;
    if (prepare || s.stage == Stage::kBlocked) {
      p.status = PatchStatus::kSkipped;
      p.reason = PatchBlocker(r, o).value_or("landing zone not reachable");
      skipped += s.stage == Stage::kBlocked ? 0 : 1;
    } else {
      p.status = PatchStatus::kFailed;
      p.error = ToProblem(e);
      p.finished_at = now;
      ++failed;
    }
    FP_RETURN_IF_ERROR(sink.Patch(zone, r.info.instance_id, p));
  }
  rollout.Drop(zone, skipped);
  rollout.Ended(zone, 0, 0, failed);
  rollout.Leave(zone);
  return sink.Flush();
}

}  // namespace fleetpatch::workflow
