#include "workflow/auto_scaling.h"

#include <algorithm>

#include "workflow/patch.h"

namespace fleetpatch::workflow {
namespace {

bool Ours(const std::optional<StandbyResult>& s, StandbyStatus status) { return s && s->status == status; }

std::string PatchStatusOf(const InstanceRun& r) { return r.patch ? PatchStatusName(r.patch->status) : ""; }

}  // namespace

ZoneAutoScaling::ZoneAutoScaling(const ZoneContext& ctx, const std::vector<InstanceRun>& instances) : ctx_(ctx) {
  for (const auto& r : instances) {
    if (r.standby) records_[r.info.instance_id] = r.standby;  // none: as good as absent (Ours() is false)
    if (r.info.in_auto_scaling_group || r.standby) tagged_.push_back(r.info.instance_id);
    const bool over = PatchOver(r) || (r.patch && r.patch->status == PatchStatus::kSkipped);
    if (!over && r.info.in_auto_scaling_group) to_patch_.insert(r.info.instance_id);
    if (PatchOver(r)) patched_[r.info.instance_id] = PatchStatusOf(r);
  }
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
  // Groups an earlier attempt suspended: kept while a patch of theirs is in flight, else resumed
  // now (their queued members suspend them again with their wave).
  for (const auto& [id, rec] : records_) {
    if (!Ours(rec, StandbyStatus::kSuspended)) continue;
    suspended_.insert(rec->group);
    group_of_.try_emplace(id, rec->group);
  }
  for (const auto& id : in_flight)
    if (!GroupOf(id).empty()) open_[GroupOf(id)].insert(id);
  for (const std::string& group : std::set<std::string>(suspended_)) FP_RETURN_IF_ERROR(ResumeGroupIfDone(group));
  for (const auto& [id, group] : group_of_)
    if (to_patch_.count(id)) open_[group].insert(id);
  return RestoreStandby(in_flight);
}

// Instances an earlier attempt put in Standby and that are not being patched now: back to
// InService (a queued one enters Standby again with its wave), checked against what Auto Scaling
// says, so an intent whose EnterStandby never happened is not "exited" by a failing call.
Status ZoneAutoScaling::RestoreStandby(const std::set<std::string>& in_flight) {
  std::vector<std::string> ids;
  for (const auto& [id, rec] : records_)
    if (Ours(rec, StandbyStatus::kInStandby) && in_flight.count(id) == 0) ids.push_back(id);
  if (ids.empty()) return OkStatus();
  FP_ASSIGN_OR_RETURN(auto members, ctx_.api.DescribeAutoScalingInstances(ids));
  std::map<std::string, std::vector<std::string>> to_exit;
  for (const auto& m : members) {
    group_of_[m.instance_id] = m.group;
    if (m.lifecycle_state == "EnteringStandby") continue;  // still on its way: patched as it is, or the next attempt
    auto patched = patched_.find(m.instance_id);
    if (m.lifecycle_state == "Standby" && patched != patched_.end() && !ShouldExitStandby(patched->second, "", "")) {
      StandbyResult s = Base(m.instance_id);
      s.status = StandbyStatus::kLeftInStandby;
      s.reason = "patch " + patched->second + ": not known good, left in Standby of " + m.group;
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
    s.reason = "found " + m.lifecycle_state + " on --resume: EnterStandby had not taken effect";
    FP_RETURN_IF_ERROR(Record(m.instance_id, s));
  }
  for (const auto& [group, members_of] : to_exit) FP_RETURN_IF_ERROR(ExitStandby(group, members_of));
  return OkStatus();
}

Result<std::vector<InstanceRun>> ZoneAutoScaling::BeforePatch(std::vector<InstanceRun> batch,
                                                              std::vector<AsgBlocked>* blocked) {
  std::vector<std::string> ids;
  for (const auto& r : batch)
    if (r.info.in_auto_scaling_group || group_of_.count(r.info.instance_id)) ids.push_back(r.info.instance_id);
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
    open_[it->second.group].insert(id);
    const std::string& state = it->second.lifecycle_state;
    if (Ours(records_[id], StandbyStatus::kInStandby) && (state == "Standby" || state == "EnteringStandby")) {
      go.push_back(std::move(r));  // this run put it there before a crash: patch it as it is
      continue;
    }
    const AsgStep step = PlanBeforePatch(ctx_.options.auto_scaling, it->second);
    switch (step.action) {
      case AsgAction::kIneligible: blocked->push_back({id, step.reason}); break;
      case AsgAction::kEnterStandby: standby[step.group].push_back(std::move(r)); break;
      case AsgAction::kSuspendGroup: suspend[step.group].push_back(std::move(r)); break;
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
      if (suspended_.count(group)) {
        go->push_back(std::move(r));
      } else {
        blocked->push_back({r.info.instance_id, records_[r.info.instance_id]->reason});
      }
    }
  }
  for (auto& [group, members] : standby) {
    FP_RETURN_IF_ERROR(EnterStandby(group, members, blocked));
    for (auto& r : members) go->push_back(std::move(r));
  }
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
      if (m.lifecycle_state == "Standby" || m.lifecycle_state == "EnteringStandby") in_standby.insert(m.instance_id);
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
    open_[group].erase(id);
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
  if (suspended_.count(group)) return OkStatus();
  Status st = ctx_.api.SuspendProcesses(group);
  if (st.ok()) {
    suspended_.insert(group);
    ctx_.sink.Journal("info", ctx_.name(), "", Phase::kPatch,
                      "Auto Scaling group " + group + ": HealthCheck, ReplaceUnhealthy, AZRebalance suspended");
    return OkStatus();
  }
  for (const auto& r : members) {  // not suspended: they are not patched
    StandbyResult s = Base(r.info.instance_id);
    s.status = StandbyStatus::kSkipped;
    s.error = ToProblem(st.error());
    s.reason = "SuspendProcesses failed: " + st.error().message + ": never patched while its group could replace it";
    FP_RETURN_IF_ERROR(Record(r.info.instance_id, s));
    open_[group].erase(r.info.instance_id);
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
    open_[group].erase(id);
    if (!records_.count(id) || !Ours(records_[id], StandbyStatus::kInStandby)) continue;
    const std::string postcheck = r.postcheck ? PostcheckStatusName(r.postcheck->status) : "";
    const std::string rollback = r.rollback ? RollbackStatusName(r.rollback->status) : "";
    if (ShouldExitStandby(PatchStatusOf(r), postcheck, rollback)) {
      to_exit[group].push_back(id);
      continue;
    }
    StandbyResult s = Base(id);
    s.status = StandbyStatus::kLeftInStandby;
    s.reason = "patch " + PatchStatusOf(r) + ": not known good, left in Standby of " + group;
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
    open_[group].erase(id);
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

Status ZoneAutoScaling::ResumeGroupIfDone(const std::string& group) {
  if (!suspended_.count(group) || !open_[group].empty()) return OkStatus();
  if (Status st = ctx_.api.ResumeProcesses(group); !st.ok()) {
    ctx_.sink.Journal("error", ctx_.name(), "", Phase::kPatch,
                      "Auto Scaling group " + group + ": ResumeProcesses failed (--resume retries): " +
                          st.error().message);
    return OkStatus();
  }
  suspended_.erase(group);
  for (const auto& [id, rec] : records_) {
    if (!Ours(rec, StandbyStatus::kSuspended) || rec->group != group) continue;
    StandbyResult s = *rec;
    s.status = StandbyStatus::kResumed;
    s.exited_at = ctx_.Now();
    FP_RETURN_IF_ERROR(Record(id, s));
  }
  return OkStatus();
}

}  // namespace fleetpatch::workflow
