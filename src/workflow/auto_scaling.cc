#include "workflow/auto_scaling.h"

#include <algorithm>

#include "workflow/patch.h"
#include "workflow/rollback_logic.h"

namespace fleetpatch::workflow {
namespace {

// The first look after EnterStandby: without load balancers to drain, EnteringStandby takes about
// a second; with them, their deregistration delay (then every poll_interval).
constexpr std::chrono::seconds kStandbyFirstPoll{1};

bool Ours(const std::optional<StandbyResult>& s, StandbyStatus status) { return s && s->status == status; }

// Put in Standby by this run and not back in service yet.
bool StillInStandby(const InstanceRun& r) {
  return Ours(r.standby, StandbyStatus::kInStandby) || Ours(r.standby, StandbyStatus::kLeftInStandby);
}

std::string PatchStatusOf(const InstanceRun& r) { return r.patch ? PatchStatusName(r.patch->status) : ""; }
std::string PostcheckStatusOf(const InstanceRun& r) {
  return r.postcheck ? PostcheckStatusName(r.postcheck->status) : "";
}
std::string RollbackStatusOf(const InstanceRun& r) {
  return r.rollback ? RollbackStatusName(r.rollback->status) : "";
}

// Why an instance is not known good: the last of its steps that said so.
std::string NotKnownGood(const std::string& patch, const std::string& postcheck, const std::string& rollback,
                         const std::string& group) {
  const std::string step = !rollback.empty()    ? "rollback " + rollback
                           : !postcheck.empty() ? "postcheck " + postcheck
                                                : "patch " + patch;
  return step + ": not known good, left in Standby of " + group;
}

}  // namespace

ZoneAutoScaling::ZoneAutoScaling(const ZoneContext& ctx, const std::vector<InstanceRun>& instances,
                                 bool checks_follow, std::shared_ptr<GroupSuspensions> groups)
    : ctx_(ctx),
      checks_follow_(checks_follow),
      groups_(groups ? std::move(groups) : std::make_shared<GroupSuspensions>()),
      standby_poll_(kStandbyFirstPoll, ctx.options.poll_interval) {
  for (const auto& r : instances) {
    if (r.standby) records_[r.info.instance_id] = r.standby;  // none: as good as absent (Ours() is false)
    if (r.info.in_auto_scaling_group || r.standby) tagged_.push_back(r.info.instance_id);
    const bool over = PatchOver(r) || (r.patch && r.patch->status == PatchStatus::kSkipped);
    if (!over && r.info.in_auto_scaling_group) to_patch_.insert(r.info.instance_id);
    if (PatchOver(r))
      patched_[r.info.instance_id] = {PatchStatusOf(r), PostcheckStatusOf(r), RollbackStatusOf(r),
                                      !RollbackNeed(r).empty()};
  }
}

// The live run's rule (ShouldExitStandby) on an earlier attempt's records. A rollback in flight is
// watched to its end first; in a run whose postcheck and automatic rollback still follow, an
// instance waiting for either is decided after them (SettleZoneStandby). Never patched: as it was.
ZoneAutoScaling::StandbyExit ZoneAutoScaling::StandbyExitFor(const std::string& id) const {
  auto it = patched_.find(id);
  if (it == patched_.end()) return StandbyExit::kExit;
  const Outcome& o = it->second;
  if (o.rollback == RollbackStatusName(RollbackStatus::kInProgress)) return StandbyExit::kLater;
  if (checks_follow_ && o.rollback.empty()) {
    if (ctx_.options.postcheck && o.postcheck.empty()) return StandbyExit::kLater;
    if (ctx_.options.rollback == "auto" && o.rollback_needed) return StandbyExit::kLater;
  }
  return ShouldExitStandby(o.patch, o.postcheck, o.rollback) ? StandbyExit::kExit : StandbyExit::kLeave;
}

std::string ZoneAutoScaling::Key(const std::string& group) const {
  return GroupKey(ctx_.zone.info.account_id, ctx_.zone.info.region, group);
}

std::string ZoneAutoScaling::GroupOf(const std::string& instance_id) const {
  auto it = group_of_.find(instance_id);
  return it == group_of_.end() ? std::string() : it->second;
}

StandbyResult ZoneAutoScaling::Base(const std::string& id) const {
  StandbyResult s;
  if (auto it = records_.find(id); it != records_.end() && it->second) s = *it->second;
  s.group = GroupOf(id);
  s.mode = config::AutoScalingModeName(ctx_.options.auto_scaling);
  s.error = {};
  return s;
}

Status ZoneAutoScaling::Record(const std::string& id, const StandbyResult& s) {
  records_[id] = s;
  return ctx_.sink.Standby(ctx_.name(), id, s);
}

Status ZoneAutoScaling::Start(const std::set<std::string>& in_flight) {
  if (tagged_.empty()) return OkStatus();
  FP_ASSIGN_OR_RETURN(auto members, ctx_.api.DescribeAutoScalingInstances(tagged_));
  for (const auto& m : members) group_of_[m.instance_id] = m.group;
  // Groups an earlier attempt suspended: kept while a patch of theirs is in flight (or, with the
  // run's shared GroupSuspensions, while any member is still to patch), else resumed now (their
  // queued members suspend them again with their wave).
  std::set<std::string> suspended;
  for (const auto& [id, rec] : records_) {
    if (!Ours(rec, StandbyStatus::kSuspended)) continue;
    suspended.insert(rec->group);
    groups_->Suspend(Key(rec->group), {ctx_.name(), id, *rec});
    group_of_.try_emplace(id, rec->group);
  }
  for (const auto& id : in_flight)
    if (!GroupOf(id).empty()) groups_->Open(Key(GroupOf(id)), id);
  for (const std::string& group : suspended) FP_RETURN_IF_ERROR(ResumeGroupIfDone(group));
  for (const auto& [id, group] : group_of_)
    if (to_patch_.count(id)) groups_->Open(Key(group), id);
  return RestoreStandby(in_flight);
}

// Instances an earlier attempt put in Standby and that are not being patched now: back to
// InService (a queued one enters Standby again with its wave), checked against what Auto Scaling
// says, so an intent whose EnterStandby never happened is not "exited" by a failing call.
// Also an instance left in Standby that a rollback has made known good since.
Status ZoneAutoScaling::RestoreStandby(const std::set<std::string>& in_flight) {
  std::vector<std::string> ids;
  for (const auto& [id, rec] : records_) {
    if (in_flight.count(id)) continue;
    const StandbyExit verdict = StandbyExitFor(id);
    if ((Ours(rec, StandbyStatus::kInStandby) && verdict != StandbyExit::kLater) ||
        (Ours(rec, StandbyStatus::kLeftInStandby) && verdict == StandbyExit::kExit))
      ids.push_back(id);
  }
  if (ids.empty()) return OkStatus();
  FP_ASSIGN_OR_RETURN(auto members, ctx_.api.DescribeAutoScalingInstances(ids));
  std::map<std::string, std::vector<std::string>> to_exit;
  for (const auto& m : members) {
    group_of_[m.instance_id] = m.group;
    if (m.lifecycle_state == "EnteringStandby")
      continue;  // still on its way: patched as it is, or the next attempt
    if (m.lifecycle_state == "Standby" && StandbyExitFor(m.instance_id) == StandbyExit::kLeave) {
      const Outcome& o = patched_.at(m.instance_id);
      StandbyResult s = Base(m.instance_id);
      s.status = StandbyStatus::kLeftInStandby;
      s.reason = NotKnownGood(o.patch, o.postcheck, o.rollback, m.group);
      FP_RETURN_IF_ERROR(Record(m.instance_id, s));
      continue;
    }
    if (m.lifecycle_state == "Standby") {
      to_exit[m.group].push_back(m.instance_id);
      continue;
    }
    StandbyResult s = Base(m.instance_id);
    s.status = StandbyStatus::kExitedStandby;
    s.exited_at = ctx_.Now();
    s.reason = "found " + m.lifecycle_state + ", not in Standby: EnterStandby had not taken effect";
    FP_RETURN_IF_ERROR(Record(m.instance_id, s));
  }
  for (const auto& [group, members_of] : to_exit) FP_RETURN_IF_ERROR(ExitStandby(group, members_of));
  return OkStatus();
}

Result<std::vector<InstanceRun>> ZoneAutoScaling::BeforePatch(std::vector<InstanceRun> batch,
                                                              std::vector<AsgBlocked>* blocked) {
  std::vector<std::string> ids;
  for (const auto& r : batch)
    if (r.info.in_auto_scaling_group || group_of_.count(r.info.instance_id))
      ids.push_back(r.info.instance_id);
  if (ids.empty()) return batch;
  std::map<std::string, GroupMembership> now;
  auto described = ctx_.api.DescribeAutoScalingInstances(ids);
  if (described.ok()) {
    for (const auto& m : *described) now[m.instance_id] = {m.group, m.lifecycle_state};
  }
  std::vector<InstanceRun> go;
  Grouped standby, suspend;
  for (auto& r : batch) {
    const std::string& id = r.info.instance_id;
    const bool member = std::find(ids.begin(), ids.end(), id) != ids.end();
    if (member && !described.ok()) {
      blocked->push_back({id, "Auto Scaling membership could not be read (" + described.error().message +
                                  "): never patched while its group could replace it"});
      continue;
    }
    auto it = now.find(id);
    if (it == now.end()) {
      go.push_back(std::move(r));
      continue;
    }
    group_of_[id] = it->second.group;
    groups_->Open(Key(it->second.group), id);
    const std::string& state = it->second.lifecycle_state;
    if (Ours(records_[id], StandbyStatus::kInStandby) && (state == "Standby" || state == "EnteringStandby")) {
      // This run put it there before a crash: patched as it is, once it is in Standby.
      if (state == "Standby") {
        go.push_back(std::move(r));
      } else {
        WaitForStandby(std::move(r));
      }
      continue;
    }
    const AsgStep step = PlanBeforePatch(ctx_.options.auto_scaling, it->second);
    switch (step.action) {
      case AsgAction::kIneligible:
        blocked->push_back({id, step.reason});
        break;
      case AsgAction::kEnterStandby:
        standby[step.group].push_back(std::move(r));
        break;
      case AsgAction::kSuspendGroup:
        suspend[step.group].push_back(std::move(r));
        break;
      case AsgAction::kNone: {
        StandbyResult s = Base(id);
        s.status = StandbyStatus::kSkipped;
        s.reason = step.reason;
        FP_RETURN_IF_ERROR(Record(id, s));
        go.push_back(std::move(r));
        break;
      }
    }
  }
  FP_RETURN_IF_ERROR(Protect(std::move(standby), std::move(suspend), &go, blocked));
  return go;
}

// Puts each group's members in Standby, or suspends the group; what is protected joins `go`.
Status ZoneAutoScaling::Protect(Grouped standby, Grouped suspend, std::vector<InstanceRun>* go,
                                std::vector<AsgBlocked>* blocked) {
  for (auto& [group, members] : suspend) {
    FP_RETURN_IF_ERROR(SuspendGroup(group, members));
    for (auto& r : members) {
      if (groups_->Suspended(Key(group))) {
        go->push_back(std::move(r));
      } else {
        blocked->push_back({r.info.instance_id, records_[r.info.instance_id]->reason});
      }
    }
  }
  for (auto& [group, members] : standby) {
    FP_RETURN_IF_ERROR(EnterStandby(group, members, blocked));
    for (auto& r : members) WaitForStandby(std::move(r));
  }
  return OkStatus();
}

void ZoneAutoScaling::WaitForStandby(InstanceRun r) {
  const SteadyTime now = ctx_.clock().SteadyNow();
  entering_.push_back({std::move(r), now + ctx_.options.standby_timeout});
  standby_poll_.Started(now);
}

std::optional<SteadyTime> ZoneAutoScaling::NextCheck() const {
  if (entering_.empty() || ctx_.cancel.Cancelled()) return std::nullopt;
  return standby_poll_.Due();
}

Result<std::vector<InstanceRun>> ZoneAutoScaling::TakeInStandby(std::vector<AsgBlocked>* blocked) {
  std::vector<InstanceRun> ready;
  const SteadyTime now = ctx_.clock().SteadyNow();
  if (entering_.empty() || ctx_.cancel.Cancelled() || !standby_poll_.DueBy(now)) return ready;
  std::vector<std::string> ids;
  for (const auto& e : entering_) ids.push_back(e.run.info.instance_id);
  auto described = ctx_.api.DescribeAutoScalingInstances(ids);
  standby_poll_.Checked(now);
  std::map<std::string, std::string> states;  // unknown (not answered) -> still waiting
  if (described.ok()) {
    for (const auto& m : *described) states[m.instance_id] = m.lifecycle_state;
  } else {
    ctx_.sink.Journal(
        "warning", ctx_.name(), "", Phase::kPatch,
        "DescribeAutoScalingInstances failed while waiting for Standby: " + described.error().message);
  }
  std::vector<Entering> waiting;
  for (auto& e : entering_) {
    const std::string& id = e.run.info.instance_id;
    auto it = states.find(id);
    const std::string state = it != states.end() ? it->second
                              : described.ok()   ? "not a member"
                                                 : "EnteringStandby";
    if (state == "Standby") {
      ready.push_back(std::move(e.run));
    } else if (state != "EnteringStandby") {
      FP_RETURN_IF_ERROR(NotInStandby(id, "found " + state + " after EnterStandby", blocked));
    } else if (now >= e.deadline) {
      FP_RETURN_IF_ERROR(NotInStandby(id,
                                      "still EnteringStandby after workflow.timeouts.standby (" +
                                          std::to_string(ctx_.options.standby_timeout.count()) + " s)",
                                      blocked));
    } else {
      waiting.push_back(std::move(e));
    }
  }
  entering_ = std::move(waiting);
  for (const auto& e : entering_) standby_poll_.Earliest(e.deadline);
  if (entering_.empty()) standby_poll_.Idle();
  return ready;
}

// Not patched: the record stays in_standby (this run asked for Standby), with the reason, so the
// reports list it and --resume puts it back in service once Auto Scaling has it in Standby.
Status ZoneAutoScaling::NotInStandby(const std::string& id, const std::string& why,
                                     std::vector<AsgBlocked>* blocked) {
  StandbyResult s = Base(id);
  s.reason = why + ": not patched; --resume puts it back in service";
  FP_RETURN_IF_ERROR(Record(id, s));
  blocked->push_back({id, why + ": never patched while its group could replace it"});
  return OkStatus();
}

// Records the intent, then asks. What failed to enter Standby is blocked (never patched while its
// group could replace it); `members` keeps the ones in Standby.
Status ZoneAutoScaling::EnterStandby(const std::string& group, std::vector<InstanceRun>& members,
                                     std::vector<AsgBlocked>* blocked) {
  std::vector<std::string> ids;
  for (const auto& r : members) {
    const std::string& id = r.info.instance_id;
    ids.push_back(id);
    StandbyResult s = Base(id);
    s.status = StandbyStatus::kInStandby;
    s.entered_at = ctx_.Now();
    s.exited_at.clear();
    s.reason.clear();
    FP_RETURN_IF_ERROR(Record(id, s));
  }
  Status st = ctx_.api.EnterStandby(group, ids);
  if (st.ok()) return OkStatus();
  // Which of them did get there (a batch can fail half way)? The others are tried one by one: a
  // group whose minimum size forbids the whole batch may still allow some of it.
  std::set<std::string> in_standby;
  if (auto now = ctx_.api.DescribeAutoScalingInstances(ids); now.ok()) {
    for (const auto& m : *now)
      if (m.lifecycle_state == "Standby" || m.lifecycle_state == "EnteringStandby")
        in_standby.insert(m.instance_id);
  }
  std::vector<InstanceRun> kept;
  for (auto& r : members) {
    const std::string& id = r.info.instance_id;
    Status one = in_standby.count(id) || ids.size() == 1 ? st : ctx_.api.EnterStandby(group, {id});
    if (in_standby.count(id) || one.ok()) {
      kept.push_back(std::move(r));
      continue;
    }
    StandbyResult s = Base(id);
    s.status = StandbyStatus::kSkipped;
    s.error = ToProblem(one.error());
    s.reason = "EnterStandby failed: " + one.error().message;
    FP_RETURN_IF_ERROR(Record(id, s));
    groups_->Close(Key(group), id);
    blocked->push_back({id, s.reason + ": never patched while its group could replace it"});
  }
  members = std::move(kept);
  return OkStatus();
}

Status ZoneAutoScaling::SuspendGroup(const std::string& group, const std::vector<InstanceRun>& members) {
  for (const auto& r : members) {
    StandbyResult s = Base(r.info.instance_id);
    s.status = StandbyStatus::kSuspended;
    s.entered_at = ctx_.Now();
    s.reason.clear();
    FP_RETURN_IF_ERROR(Record(r.info.instance_id, s));
  }
  // Suspended already by this run (this zone, or another zone of the same account and region).
  const bool already = groups_->Suspended(Key(group));
  Status st = already ? OkStatus() : ctx_.api.SuspendProcesses(group);
  if (st.ok()) {
    for (const auto& r : members) {
      groups_->Suspend(Key(group), {ctx_.name(), r.info.instance_id, *records_[r.info.instance_id]});
    }
    if (!already) {
      ctx_.sink.Journal(
          "info", ctx_.name(), "", Phase::kPatch,
          "Auto Scaling group " + group + ": HealthCheck, ReplaceUnhealthy, AZRebalance suspended");
    }
    return OkStatus();
  }
  for (const auto& r : members) {  // not suspended: they are not patched
    StandbyResult s = Base(r.info.instance_id);
    s.status = StandbyStatus::kSkipped;
    s.error = ToProblem(st.error());
    s.reason =
        "SuspendProcesses failed: " + st.error().message + ": never patched while its group could replace it";
    FP_RETURN_IF_ERROR(Record(r.info.instance_id, s));
    groups_->Close(Key(group), r.info.instance_id);
  }
  return OkStatus();
}

Status ZoneAutoScaling::Finished(const std::vector<InstanceRun>& runs) {
  std::map<std::string, std::vector<std::string>> to_exit;
  std::set<std::string> groups;
  for (const auto& r : runs) {
    const std::string& id = r.info.instance_id;
    const std::string group = GroupOf(id);
    if (group.empty()) continue;
    groups.insert(group);
    groups_->Close(Key(group), id);
    if (!records_.count(id) || !Ours(records_[id], StandbyStatus::kInStandby)) continue;
    const std::string postcheck = PostcheckStatusOf(r), rollback = RollbackStatusOf(r);
    if (ShouldExitStandby(PatchStatusOf(r), postcheck, rollback)) {
      to_exit[group].push_back(id);
      continue;
    }
    StandbyResult s = Base(id);
    s.status = StandbyStatus::kLeftInStandby;
    s.reason = NotKnownGood(PatchStatusOf(r), postcheck, rollback, group);
    FP_RETURN_IF_ERROR(Record(id, s));
  }
  for (const auto& [group, ids] : to_exit) FP_RETURN_IF_ERROR(ExitStandby(group, ids));
  for (const auto& group : groups) FP_RETURN_IF_ERROR(ResumeGroupIfDone(group));
  return OkStatus();
}

Status ZoneAutoScaling::Dropped(const std::vector<std::string>& instance_ids) {
  std::set<std::string> groups;
  for (const auto& id : instance_ids) {
    const std::string group = GroupOf(id);
    if (group.empty()) continue;
    groups_->Close(Key(group), id);
    groups.insert(group);
  }
  for (const auto& group : groups) FP_RETURN_IF_ERROR(ResumeGroupIfDone(group));
  return OkStatus();
}

// A failed ExitStandby leaves the record in_standby (with the error), so --resume tries again and
// the reports list the instance.
Status ZoneAutoScaling::ExitStandby(const std::string& group, const std::vector<std::string>& ids) {
  Status st = ctx_.api.ExitStandby(group, ids);
  for (const auto& id : ids) {
    StandbyResult s = Base(id);
    if (st.ok()) {
      s.status = StandbyStatus::kExitedStandby;
      s.exited_at = ctx_.Now();
    } else {
      s.error = ToProblem(st.error());
      s.reason = "ExitStandby failed: " + st.error().message + " (still in Standby; --resume retries)";
      ctx_.sink.Journal("error", ctx_.name(), id, Phase::kPatch, s.reason);
    }
    FP_RETURN_IF_ERROR(Record(id, s));
  }
  return OkStatus();
}

// Resumes the group once no member is left to patch anywhere in the run, and marks every zone's
// records of it group_resumed.
Status ZoneAutoScaling::ResumeGroupIfDone(const std::string& group) {
  auto records = groups_->TakeDone(Key(group));
  if (!records) return OkStatus();
  if (Status st = ctx_.api.ResumeProcesses(group); !st.ok()) {
    groups_->Untake(Key(group), std::move(*records));
    ctx_.sink.Journal(
        "error", ctx_.name(), "", Phase::kPatch,
        "Auto Scaling group " + group + ": ResumeProcesses failed (--resume retries): " + st.error().message);
    return OkStatus();
  }
  for (auto& r : *records) {
    r.standby.status = StandbyStatus::kResumed;
    r.standby.exited_at = ctx_.Now();
    if (r.zone == ctx_.name()) records_[r.instance_id] = r.standby;
    FP_RETURN_IF_ERROR(ctx_.sink.Standby(r.zone, r.instance_id, r.standby));
  }
  return OkStatus();
}

Status SettleZoneStandby(const ZoneContext& ctx, std::vector<InstanceRun> runs) {
  std::erase_if(runs, [](const InstanceRun& r) { return PatchInFlight(r) || !StillInStandby(r); });
  if (runs.empty()) return OkStatus();
  ZoneAutoScaling asg(ctx, runs, /*checks_follow=*/false);
  return asg.Start({});
}

Result<SafetySummary> Workflow::SettleStandby(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  state::InstanceQuery q;
  q.eligible = true;
  q.details = false;
  // Only what is (still) in Standby: streamed, not the whole run at once.
  FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> all, store_.SelectInstances(run_id, q, StillInStandby));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  auto work = [](const ZoneContext& ctx, std::vector<InstanceRun> batch) {
    return SettleZoneStandby(ctx, std::move(batch));
  };
  auto down = [](std::vector<InstanceRun>&, const Error&) {};  // left as recorded: the reports list them
  ForEachZone(run_id, zones, SplitByZone(std::move(all)), Phase::kPatch, sink, work, down);
  FP_RETURN_IF_ERROR(sink.Flush());
  SafetySummary out;
  out.zone_errors = sink.Summary(Phase::kPatch).zone_errors;
  out.interrupted = cancel_.Cancelled();
  return out;
}

}  // namespace fleetpatch::workflow
