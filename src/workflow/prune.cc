#include "workflow/prune.h"

#include <algorithm>

#include "common/clock.h"
#include "common/strings.h"

namespace fleetpatch::workflow {
namespace {

using SysClock = std::chrono::system_clock;

std::string Tag(const ImageView& img, const char* key) {
  auto it = img.tags.find(key);
  return it == img.tags.end() ? "" : it->second;
}

bool IsNotFound(const Error& e) {
  return e.aws_code == "InvalidAMIID.NotFound" || e.aws_code == "InvalidAMIID.Unavailable" ||
         e.aws_code == "InvalidSnapshot.NotFound";
}

// The image's creation time; false when EC2 gave none that parses (the image is then never
// considered expired by age, only by its delete-after tag).
bool CreatedAt(const ImageView& img, SysClock::time_point* out) {
  return ParseIso8601(img.creation_date, out);
}

// The delete-after tag is a UTC day (YYYY-MM-DD): the image expires when that day has begun.
bool DeleteAfterPassed(const ImageView& img, SysClock::time_point now) {
  SysClock::time_point day;
  std::string tag = Tag(img, kDeleteAfterTag);
  return !tag.empty() && ParseIso8601(tag + "T00:00:00Z", &day) && day <= now;
}

std::string Day(SysClock::time_point t) { return FormatIso8601(t).substr(0, 10); }

// Why an image that no rule protects may still stay: not yet expired. Empty when it expired.
std::string NotExpiredReason(const ImageView& img, const PrunePolicy& policy, SysClock::time_point now) {
  if (DeleteAfterPassed(img, now)) return "";
  SysClock::time_point created;
  if (!CreatedAt(img, &created)) return "no creation date, and its delete-after date has not passed";
  SysClock::time_point expires = created + std::chrono::hours(24) * policy.retention_days;
  if (expires <= now) return "";
  return "not expired: retention ends " + Day(expires);
}

std::string ExpiredReason(const ImageView& img, const PrunePolicy& policy, SysClock::time_point now) {
  if (DeleteAfterPassed(img, now))
    return "expired: delete-after " + Tag(img, kDeleteAfterTag) + " has passed";
  return "expired: older than retention_days " + std::to_string(policy.retention_days);
}

// Keeps the newest keep_last available images of each instance, expired or not; images that other
// rules keep count among them. `ds` is sorted oldest first within each instance.
void KeepNewest(std::vector<PruneDecision>& ds, int keep_last) {
  std::map<std::string, int> kept;  // zone/instance -> available images kept so far
  for (auto it = ds.rbegin(); it != ds.rend(); ++it) {
    bool ours = it->action == PruneAction::kKeep || it->action == PruneAction::kDelete;
    if (!ours || it->candidate.image.state != "available") continue;
    int& n = kept[it->candidate.zone + "/" + it->instance_id];
    if (n >= keep_last) continue;
    ++n;
    if (it->action != PruneAction::kDelete) continue;
    it->action = PruneAction::kKeep;
    it->reason = "one of the newest " + std::to_string(keep_last) + " backups of " + it->instance_id;
  }
}

// The rules that do not depend on the other images of the same instance.
void DecideAlone(PruneDecision& d, const PrunePolicy& policy, const PruneProtection& protection,
                 SysClock::time_point now) {
  const ImageView& img = d.candidate.image;
  if (std::string why = NotOursReason(d.candidate); !why.empty()) {
    d.action = PruneAction::kNotOurs;
    d.reason = why;
    return;
  }
  d.instance_id = Tag(img, kInstanceIdTag);
  d.run_id = Tag(img, kRunTag);
  d.action = PruneAction::kKeep;
  if (img.state == "pending") {
    d.reason = "still being created";
  } else if (protection.unfinished_runs.count(d.run_id)) {
    d.reason = "run " + d.run_id + " has not finished";
  } else if (protection.rollback_images.count(img.image_id)) {
    d.reason = "a rollback of run " + d.run_id + " may still need it";
  } else if (std::string why = NotExpiredReason(img, policy, now); !why.empty()) {
    d.reason = why;
  } else {
    d.action = PruneAction::kDelete;
    d.reason = ExpiredReason(img, policy, now);
  }
}

Status IgnoreNotFound(Status st) {
  if (!st.ok() && IsNotFound(st.error())) return OkStatus();
  return st;
}

}  // namespace

const char* PruneActionName(PruneAction a) {
  switch (a) {
    case PruneAction::kDelete:
      return "delete";
    case PruneAction::kKeep:
      return "keep";
    case PruneAction::kNotOurs:
      return "not_ours";
    case PruneAction::kDeleted:
      return "deleted";
    case PruneAction::kAlreadyGone:
      return "already_gone";
    case PruneAction::kFailed:
      return "failed";
  }
  return "unknown";
}

std::string NotOursReason(const PruneImage& c) {
  const ImageView& img = c.image;
  if (Tag(img, kCreatedByTag) != "fleetpatch") return std::string("no ") + kCreatedByTag + "=fleetpatch tag";
  BackupIdentity claimed{c.account_id, Tag(img, kInstanceIdTag), Tag(img, kRunTag), Tag(img, kBackupNameTag)};
  if (claimed.instance_id.empty()) return std::string("no ") + kInstanceIdTag + " tag";
  if (claimed.run_id.empty()) return std::string("no ") + kRunTag + " tag";
  return WhyNotOurBackup(img, claimed);
}

std::vector<PruneDecision> PlanPrune(std::vector<PruneImage> images, const PrunePolicy& policy,
                                     const PruneProtection& protection, SysClock::time_point now) {
  std::vector<PruneDecision> ds;
  ds.reserve(images.size());
  for (auto& img : images) {
    PruneDecision d;
    d.candidate = std::move(img);
    DecideAlone(d, policy, protection, now);
    ds.push_back(std::move(d));
  }
  std::stable_sort(ds.begin(), ds.end(), [](const PruneDecision& a, const PruneDecision& b) {
    return std::tie(a.candidate.zone, a.instance_id, a.candidate.image.creation_date,
                    a.candidate.image.image_id) < std::tie(b.candidate.zone, b.instance_id,
                                                           b.candidate.image.creation_date,
                                                           b.candidate.image.image_id);
  });
  KeepNewest(ds, std::max(0, policy.keep_last));
  return ds;
}

Status FinishIntent(ZoneApi& api, PruneJournal& journal, const PruneIntent& intent) {
  FP_RETURN_IF_ERROR(IgnoreNotFound(api.DeregisterImage(intent.image_id)));
  for (const auto& snap : intent.snapshot_ids) FP_RETURN_IF_ERROR(IgnoreNotFound(api.DeleteSnapshot(snap)));
  return journal.Done(intent);
}

namespace {

// Deletes one planned image, with `owned` the account's own snapshots among those of the plan.
PruneDecision DeleteOne(ZoneApi& api, PruneJournal& journal, PruneDecision d,
                        const std::set<std::string>& owned) {
  const ImageView& img = d.candidate.image;
  PruneIntent intent{d.candidate.zone, img.image_id, SnapshotsToDelete(img, owned)};
  auto fail = [&](const std::string& what, const Error& e) {
    d.action = PruneAction::kFailed;
    d.reason = what + ": " + e.ToString();
    return d;
  };
  if (auto st = journal.Intend(intent); !st.ok()) return fail("recording the intent", st.error());
  auto dereg = api.DeregisterImage(img.image_id);
  bool gone = !dereg.ok() && IsNotFound(dereg.error());
  if (!dereg.ok() && !gone) return fail("DeregisterImage " + img.image_id, dereg.error());
  for (const auto& snap : intent.snapshot_ids) {
    auto del = api.DeleteSnapshot(snap);
    if (!del.ok() && !IsNotFound(del.error())) return fail("DeleteSnapshot " + snap, del.error());
  }
  if (auto st = journal.Done(intent); !st.ok()) return fail("recording the deletion", st.error());
  d.action = gone ? PruneAction::kAlreadyGone : PruneAction::kDeleted;
  if (gone) d.reason = "deregistered before this prune; its snapshots deleted";
  if (intent.snapshot_ids.size() < img.snapshot_ids.size())
    d.reason += "; snapshots this account does not own left alone";
  return d;
}

}  // namespace

void ExecutePrune(ZoneApi& api, PruneJournal& journal, const std::vector<PruneDecision*>& planned) {
  std::vector<std::string> snapshots;
  for (const PruneDecision* d : planned) {
    snapshots.insert(snapshots.end(), d->candidate.image.snapshot_ids.begin(),
                     d->candidate.image.snapshot_ids.end());
  }
  Result<std::set<std::string>> owned = std::set<std::string>();
  if (!snapshots.empty()) owned = api.DescribeOwnedSnapshotIds(snapshots);
  for (PruneDecision* d : planned) {
    if (owned.ok()) {
      *d = DeleteOne(api, journal, std::move(*d), *owned);
    } else {
      d->action = PruneAction::kFailed;
      d->reason = "could not list its snapshots: " + owned.error().ToString();
    }
  }
}

namespace {

using state::kPruneWorkflow;

Status Append(state::StateStore& store, Clock& clock, const std::string& run_id, const PruneIntent& intent,
              std::string message) {
  Event e;
  e.time = FormatIso8601(clock.Now());
  e.level = "info";
  e.zone = intent.zone;
  e.instance_id = intent.image_id;
  e.phase = kPruneWorkflow;
  e.message = std::move(message);
  auto seq = store.AppendEvent(run_id, e);
  if (!seq.ok()) return seq.error();
  return OkStatus();
}

bool Unfinished(const RunInfo& run) {
  return run.status == RunStatus::kRunning || run.status == RunStatus::kInterrupted;
}

// Adds the intents of one prune run that have no "done" event.
Status CollectIntents(state::StateStore& store, const std::string& run_id, std::vector<PruneIntent>* out) {
  FP_ASSIGN_OR_RETURN(std::vector<Event> events, store.LoadEvents(run_id));
  std::map<std::string, PruneIntent> open;  // image id -> intent
  for (const auto& e : events) {
    if (e.phase != kPruneWorkflow) continue;
    if (e.message.rfind("intent", 0) == 0) {
      std::vector<std::string> snaps;
      for (auto& id : Split(e.message.substr(std::min<size_t>(7, e.message.size())), ','))
        if (!id.empty()) snaps.push_back(std::move(id));
      open[e.instance_id] = {e.zone, e.instance_id, std::move(snaps)};
    } else if (e.message == "done") {
      open.erase(e.instance_id);
    }
  }
  for (auto& [id, intent] : open) out->push_back(std::move(intent));
  return OkStatus();
}

}  // namespace

Status StorePruneJournal::Intend(const PruneIntent& intent) {
  return Append(store_, clock_, run_id_, intent, "intent " + Join(intent.snapshot_ids, ","));
}

Status StorePruneJournal::Done(const PruneIntent& intent) {
  return Append(store_, clock_, run_id_, intent, "done");
}

Result<PendingPrune> FindPendingPrunes(state::StateStore& store) {
  FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, store.ListRuns(1000));
  PendingPrune pending;
  for (const auto& run : runs) {
    if (run.workflow != kPruneWorkflow || !Unfinished(run)) continue;
    pending.run_ids.push_back(run.run_id);
    FP_RETURN_IF_ERROR(CollectIntents(store, run.run_id, &pending.intents));
  }
  return pending;
}

Result<PruneProtection> ProtectionFromStore(state::StateStore& store, int max_runs) {
  FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, store.ListRuns(max_runs));  // newest first
  PruneProtection p;
  std::set<std::string> seen;  // zone/instance whose newest patching run was found
  state::InstanceQuery patched;
  for (PatchStatus s : {PatchStatus::kInProgress, PatchStatus::kSuccess, PatchStatus::kPartialSuccess,
                        PatchStatus::kFailed, PatchStatus::kTimedOut, PatchStatus::kCancelled}) {
    patched.patch_status.push_back(PatchStatusName(s));
  }
  patched.details = false;
  for (const auto& run : runs) {
    if (run.workflow == kPruneWorkflow) continue;
    if (Unfinished(run)) p.unfinished_runs.insert(run.run_id);
    FP_RETURN_IF_ERROR(store.ForEachInstance(run.run_id, patched, 256, [&](std::vector<InstanceRun>&& batch) {
      for (const auto& i : batch) {
        if (!seen.insert(i.info.zone + "/" + i.info.instance_id).second) continue;
        if (i.backup && !i.backup->ami_id.empty()) p.rollback_images.insert(i.backup->ami_id);
      }
      return OkStatus();
    }));
  }
  return p;
}

}  // namespace fleetpatch::workflow
