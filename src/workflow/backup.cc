#include "workflow/backup.h"

#include <ctime>
#include <unordered_map>

#include "common/time_format.h"
#include "workflow/backup_trust.h"
#include "workflow/pipeline.h"

namespace fleetpatch::workflow {
namespace {

bool HasAmi(const ZoneBackup::Target& r) { return r.backup && !r.backup->ami_id.empty(); }

// The fleetpatch:delete-after tag: the run's start plus the retention, as YYYY-MM-DD.
std::string DeleteAfter(std::chrono::system_clock::time_point run_start, int retention_days) {
  return FormatUtc(run_start + std::chrono::hours(24) * std::max(0, retention_days), "%Y-%m-%d");
}

}  // namespace

ZoneBackup::ZoneBackup(const ZoneContext& ctx, std::vector<Target> todo)
    : ctx_(ctx),
      todo_(std::move(todo)),
      poll_(ctx.options.ami_first_poll, ctx.options.poll_interval),
      delete_after_(DeleteAfter(ctx.run_start, ctx.options.retention_days)) {
  // AMIs already started (a resumed run) are adopted first, whatever the window.
  std::stable_partition(todo_.begin(), todo_.end(), HasAmi);
}

BackupIdentity ZoneBackup::Identity(const Target& r, const std::string& name) const {
  return {ctx_.zone.info.account_id, r.instance_id, ctx_.run_id(), name};
}

std::string ZoneBackup::AmiName(const Target& r) const {
  if (r.backup && !r.backup->ami_name.empty()) return r.backup->ami_name;
  InstanceInfo named;  // the template names the instance by its id and zone only
  named.zone = r.zone;
  named.instance_id = r.instance_id;
  return RenderAmiName(ctx_.options.ami_name_template, ctx_.run_id(), named, ctx_.run_start);
}

std::vector<std::pair<std::string, BackupResult>> ZoneBackup::TakeEnded() {
  return std::exchange(ended_, {});
}

CallRoom ZoneBackup::CreateRoom() const {
  return ctx_.options.dry_run ? CallRoom{} : ctx_.api.RoomFor("ec2", "CreateImage");
}

std::optional<SteadyTime> ZoneBackup::StartDue() const {
  if (next_ >= todo_.size()) return std::nullopt;
  const SteadyTime now = ctx_.clock().SteadyNow();
  if (HasAmi(todo_[next_])) return now;
  if (pending_.size() >= static_cast<size_t>(std::max(1, ctx_.options.max_pending_images)))
    return std::nullopt;
  return now + CreateRoom().next_in;
}

std::optional<SteadyTime> ZoneBackup::NextCheck() const {
  if (done_) return std::nullopt;
  const bool over = next_ >= todo_.size() && pending_.empty();
  if (!prepared_ || ctx_.cancel.Cancelled() || over) return ctx_.clock().SteadyNow();
  return Earlier(StartDue(), poll_.Due());
}

// AMIs this run may already have started in this zone: an instance whose backup was recorded as
// intended (pending, with its AMI name) but never got an AMI id back, because the run stopped
// between the intent and CreateImage's answer. Only then are the zone's AMIs looked up by the
// run's tag; a fresh run knows it has none. AMIs made without an intent record (an older version)
// are still caught by their duplicate name at CreateImage.
Status ZoneBackup::Prepare() {
  prepared_ = true;
  const bool may_have_amis = std::any_of(todo_.begin(), todo_.end(), [](const Target& r) {
    return r.backup && r.backup->status == BackupStatus::kPending && r.backup->ami_id.empty();
  });
  if (!may_have_amis || ctx_.options.dry_run) return OkStatus();
  FP_ASSIGN_OR_RETURN(auto images, ctx_.api.DescribeImagesByTag(kRunTag, ctx_.run_id()));
  for (auto& img : images) existing_[img.name] = std::move(img);
  return OkStatus();
}

Status ZoneBackup::Step() {
  if (done_) return OkStatus();
  Status st = prepared_ ? Status(OkStatus()) : Prepare();
  if (st.ok()) st = TopUp();
  if (st.ok() && poll_.DueBy(ctx_.clock().SteadyNow()) && !ctx_.cancel.Cancelled()) st = Check();
  if (!st.ok()) return Fail(st.error());
  const bool nothing_to_start = next_ >= todo_.size() || ctx_.cancel.Cancelled();
  if (nothing_to_start && (pending_.empty() || ctx_.cancel.Cancelled())) {
    done_ = true;
    FP_RETURN_IF_ERROR(CleanUp());
    return ctx_.sink.Flush();
  }
  return OkStatus();
}

// Starts every adopted AMI, then new ones while the window of max_pending_images has room and
// the client's EC2 budget lets a CreateImage go now (the rest start at a later Step, so that the
// zone's checks and waves never wait behind the budget).
Status ZoneBackup::TopUp() {
  if (ctx_.cancel.Cancelled()) return OkStatus();  // no new intent that this process would not act on
  const size_t window = static_cast<size_t>(std::max(1, ctx_.options.max_pending_images));
  size_t creates = CreateRoom().now;
  size_t end = next_;
  for (size_t slots = pending_.size(); end < todo_.size(); ++end, ++slots) {
    if (HasAmi(todo_[end])) continue;
    if (slots >= window || creates == 0) break;
    --creates;
  }
  if (end == next_) return OkStatus();
  FP_RETURN_IF_ERROR(RecordIntents(end));
  while (next_ < end && !ctx_.cancel.Cancelled()) FP_RETURN_IF_ERROR(Start(todo_[next_++]));
  return ctx_.sink.Flush();
}

// Intent first, in one batch: each instance about to get a CreateImage is saved as pending with
// its AMI name and no AMI id, so that a run stopped before the answer knows to look for it.
Status ZoneBackup::RecordIntents(size_t end) {
  if (ctx_.options.dry_run) return OkStatus();
  for (size_t i = next_; i < end; ++i) {
    Target& r = todo_[i];
    if (HasAmi(r)) continue;
    if (r.backup && r.backup->status == BackupStatus::kPending && !r.backup->ami_name.empty()) continue;
    BackupResult intent;
    intent.status = BackupStatus::kPending;
    intent.ami_name = AmiName(r);
    r.backup = intent;
    FP_RETURN_IF_ERROR(ctx_.sink.Backup(r.zone, r.instance_id, intent));
  }
  return ctx_.sink.Flush();
}

Result<std::string> ZoneBackup::Create(const Target& r, const std::string& name) {
  Tags tags = {{"Name", name},
               {kRunTag, ctx_.run_id()},
               {"fleetpatch:instance-id", r.instance_id},
               {"fleetpatch:landing-zone", ctx_.name()},
               {"fleetpatch:created-by", "fleetpatch"},
               {"fleetpatch:delete-after", delete_after_},
               {kBackupNameTag, name}};
  for (const auto& t : ctx_.options.extra_tags) tags.push_back(t);
  auto made = ctx_.api.CreateImage(r.instance_id, name,
                                   "fleetpatch backup of " + r.instance_id + " for run " + ctx_.run_id(),
                                   ctx_.options.no_reboot, tags);
  if (!made.ok() && made.error().aws_code == "InvalidAMIName.Duplicate") {
    // Made by an earlier attempt whose answer was lost: reused only when provably ours.
    return AdoptDuplicate(ctx_.api, Identity(r, name), made.error());
  }
  return made;
}

// Starts (or, on resume, adopts) the AMI of one instance; it joins pending_ unless creating failed.
Status ZoneBackup::Start(Target& r) {
  BackupResult b = r.backup.value_or(BackupResult{});
  const std::string name = AmiName(r);
  b.ami_name = name;
  if (b.ami_id.empty()) {
    if (auto it = existing_.find(name);
        it != existing_.end() && WhyNotOurBackup(it->second, Identity(r, name)).empty()) {
      b.ami_id = it->second.image_id;
      ctx_.sink.Journal("info", ctx_.name(), r.instance_id, Phase::kBackup,
                        "reusing AMI " + b.ami_id + " started earlier in this run");
    }
  }
  if (b.ami_id.empty()) {
    if (ctx_.options.dry_run) {
      ctx_.sink.Plan("backup: would create AMI " + name + " of " + r.instance_id + " (" + ctx_.name() + ")");
      ctx_.sink.Skipped(Phase::kBackup, 1);
      return OkStatus();
    }
    b.started_at = ctx_.Now();
    auto made = Create(r, name);
    if (!made.ok()) {
      ctx_.sink.Journal("error", ctx_.name(), r.instance_id, Phase::kBackup,
                        "CreateImage failed: " + made.error().ToString());
      Pending p{&r, std::move(b)};
      return Ended(p, BackupStatus::kFailed, ToProblem(made.error()));
    }
    b.ami_id = *made;
    poll_.Started(ctx_.clock().SteadyNow());
  } else {
    poll_.StartedLongAgo(ctx_.clock().SteadyNow());  // adopted
  }
  if (b.started_at.empty()) b.started_at = ctx_.Now();
  b.status = BackupStatus::kPending;
  FP_RETURN_IF_ERROR(ctx_.sink.Backup(r.zone, r.instance_id, b));
  pending_.push_back({&r, std::move(b)});
  return OkStatus();
}

// A backup that ended: available ones are saved now; failed ones wait for the zone's cleanup
// (their results are saved then, with cleaned_up as it turned out; a run that stops before leaves
// them pending, and the resumed run checks them again and cleans them up).
Status ZoneBackup::Ended(Pending& p, BackupStatus status, const ProblemInfo& err) {
  p.result.status = status;
  p.result.finished_at = ctx_.Now();
  if (!p.result.started_at.empty()) {
    p.result.duration_s = SecondsBetweenIso8601(p.result.started_at, p.result.finished_at);
  }
  p.result.error = err;
  ended_.emplace_back(p.run->instance_id, p.result);
  if (status == BackupStatus::kAvailable || p.result.ami_id.empty() || ctx_.options.keep_failed_images) {
    return ctx_.sink.Backup(p.run->zone, p.run->instance_id, p.result);
  }
  to_clean_.push_back(std::move(p));
  return OkStatus();
}

// One batched DescribeImages of every AMI in flight.
Status ZoneBackup::Check() {
  const auto now_steady = ctx_.clock().SteadyNow();
  poll_.Checked(now_steady);
  if (pending_.empty()) return OkStatus();
  std::vector<std::string> ids;
  for (auto& p : pending_) ids.push_back(p.result.ami_id);
  auto images = ctx_.api.DescribeImagesById(ids);
  if (!images.ok()) {
    if (images.error().retryable) return OkStatus();  // the retries inside ran out; keep waiting
    for (auto& p : std::exchange(pending_, {}))
      FP_RETURN_IF_ERROR(Ended(p, BackupStatus::kFailed, ToProblem(images.error())));
    return OkStatus();
  }
  std::unordered_map<std::string, const ImageView*> by_id;
  for (const auto& img : *images) by_id[img.image_id] = &img;
  std::vector<Pending> still;
  const auto now = ctx_.clock().Now();
  for (auto& p : pending_) {
    auto it = by_id.find(p.result.ami_id);
    const std::string state = it == by_id.end() ? "missing" : it->second->state;
    auto started = now;
    ParseIso8601(p.result.started_at, &started);
    if (state == "available") {
      p.result.snapshot_ids = it->second->snapshot_ids;
      FP_RETURN_IF_ERROR(Ended(p, BackupStatus::kAvailable, {}));
    } else if (state == "failed" || state == "error" || state == "invalid" || state == "deregistered") {
      std::string why = it->second->state_reason.empty() ? "AMI state " + state : it->second->state_reason;
      FP_RETURN_IF_ERROR(Ended(p, BackupStatus::kFailed,
                               {"aws", "BackupFailed", "AMI " + p.result.ami_id + " " + state + ": " + why}));
    } else if (now - started >= ctx_.options.ami_timeout) {
      FP_RETURN_IF_ERROR(Ended(
          p, BackupStatus::kTimedOut,
          {"timeout", "BackupTimedOut",
           "AMI " + p.result.ami_id + " was not available after " +
               std::to_string(ctx_.options.ami_timeout.count()) + " s (workflow.timeouts.ami_creation)"}));
    } else {
      still.push_back(std::move(p));
    }
  }
  pending_ = std::move(still);
  if (pending_.empty()) poll_.Idle();
  return OkStatus();
}

Status ZoneBackup::CleanUp() {
  if (to_clean_.empty()) return OkStatus();
  std::vector<std::pair<std::string, BackupResult*>> images;
  for (auto& p : to_clean_) images.emplace_back(p.run->instance_id, &p.result);
  CleanUpFailedBackups(ctx_, images);
  for (auto& p : to_clean_) {
    FP_RETURN_IF_ERROR(ctx_.sink.Backup(p.run->zone, p.run->instance_id, p.result));
  }
  to_clean_.clear();
  return OkStatus();
}

void CleanUpFailedBackups(const ZoneContext& ctx,
                          const std::vector<std::pair<std::string, BackupResult*>>& images) {
  std::vector<FailedImage> failed;
  for (auto& [id, b] : images)
    failed.push_back({{ctx.zone.info.account_id, id, ctx.run_id(), b->ami_name}, b->ami_id});
  std::vector<CleanupOutcome> outcomes = CleanUpFailedImages(ctx.api, failed);
  for (size_t i = 0; i < images.size(); ++i) {
    BackupResult& b = *images[i].second;
    b.cleaned_up = outcomes[i].problem.empty();
    b.snapshot_ids = outcomes[i].deleted_snapshots;
    ctx.sink.Journal(b.cleaned_up ? "info" : "warning", ctx.name(), images[i].first, Phase::kBackup,
                     b.cleaned_up
                         ? "deregistered failed AMI " + b.ami_id + " and deleted its snapshots"
                         : "could not fully clean up failed AMI " + b.ami_id + ": " + outcomes[i].problem);
  }
}

// A zone-level failure: every backup not over ends failed. Those with an AMI are not saved (they
// stay pending in the store, so a resumed run checks them again).
Status ZoneBackup::Fail(const Error& e) {
  done_ = true;
  const ProblemInfo problem = ToProblem(e);
  auto fail = [&](const Target& r, BackupResult b) -> Status {
    b.status = BackupStatus::kFailed;
    b.error = problem;
    b.finished_at = ctx_.Now();
    ended_.emplace_back(r.instance_id, b);
    if (!b.ami_id.empty()) return OkStatus();  // resumable later
    return ctx_.sink.Backup(r.zone, r.instance_id, b);
  };
  for (auto& p : std::exchange(pending_, {})) (void)fail(*p.run, p.result);
  for (; next_ < todo_.size(); ++next_)
    (void)fail(todo_[next_], todo_[next_].backup.value_or(BackupResult{}));
  ctx_.sink.Journal("error", ctx_.name(), "", Phase::kBackup, "zone failed: " + e.ToString());
  (void)CleanUp();
  (void)ctx_.sink.Flush();
  return e;
}

Status RecordBackupsDisabled(ResultSink& sink, const std::vector<InstanceRun>& todo) {
  for (const auto& r : todo) {
    BackupResult b;
    b.status = BackupStatus::kDisabled;
    b.reason = "backups are turned off (workflow.phases.backup: false)";
    FP_RETURN_IF_ERROR(sink.Backup(r.info.zone, r.info.instance_id, b));
  }
  return sink.Flush();
}

}  // namespace fleetpatch::workflow

// ---------------------------------------------------------------------------------------------
// The backup phase on its own (`--workflow backup`)

namespace fleetpatch::workflow {

Result<PhaseSummary> Workflow::Backup(const std::string& run_id, const std::vector<ZoneSpec>& zones) {
  FP_RETURN_IF_ERROR(RequirePhase(run_id, Phase::kScan, Phase::kBackup));
  FP_RETURN_IF_ERROR(RequireEligible(run_id, "back up"));
  FP_ASSIGN_OR_RETURN(auto todo, store_.PendingBackups(run_id));
  ResultSink sink(store_, run_id, clock_, progress_options_);
  sink.Open(Phase::kBackup, static_cast<int64_t>(todo.size()));
  if (!options_.backup_enabled) {
    FP_RETURN_IF_ERROR(RecordBackupsDisabled(sink, todo));
    return EndPhase(run_id, Phase::kBackup, sink);
  }
  ByZone by_zone = SplitByZone(std::move(todo));
  auto work = [&](const ZoneContext& ctx, std::vector<InstanceRun> batch) -> Status {
    std::vector<ZoneBackup::Target> targets;
    targets.reserve(batch.size());
    for (const auto& r : batch) targets.push_back(ZoneBackup::TargetOf(r));
    std::vector<InstanceRun>().swap(batch);
    ZoneBackup backup(ctx, std::move(targets));
    return RunToEnd(backup, ctx);
  };
  auto down = [&](std::vector<InstanceRun>& batch, const Error& e) {
    for (auto& r : batch) {
      if (r.backup && r.backup->status == BackupStatus::kPending && !r.backup->ami_id.empty()) continue;
      BackupResult b = r.backup.value_or(BackupResult{});
      b.status = BackupStatus::kFailed;
      b.error = ToProblem(e);
      b.finished_at = FormatIso8601(clock_.Now());
      (void)sink.Backup(r.info.zone, r.info.instance_id, b);
    }
  };
  ForEachZone(run_id, zones, std::move(by_zone), Phase::kBackup, sink, work, down);
  return EndPhase(run_id, Phase::kBackup, sink);
}

}  // namespace fleetpatch::workflow
