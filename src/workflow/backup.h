// The backup of one landing zone: an AMI of each instance (CreateImage, tagged with the run and a
// deterministic name), at most `max_pending_images` in flight, checked with one batched
// DescribeImages until each is available, failed or past `ami_timeout`. Failed and timed-out AMIs
// are deregistered and their snapshots deleted together when the zone's backups are over.
//
// State transitions it makes (docs/pipeline.md): no backup -> pending with a name and no AMI id
// (the intent, saved before CreateImage) -> pending with the AMI id -> available | failed |
// timed_out. A resumed run adopts the AMI it started (by id, by the run's tag, or by its duplicate
// name) instead of making a second one. A dry run only plans.
//
// Driven by a zone loop (backup only, or the pipeline): Step() whenever NextCheck() has come.
// Not thread-safe: one zone thread owns it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflow/backup_trust.h"
#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

class ZoneBackup {
 public:
  // What a backup needs of an instance: where it is, and its backup record so far. Not the whole
  // InstanceRun (2.4 KiB in place, most of it results of other phases), of which a pipelined zone
  // already holds one copy per instance.
  struct Target {
    std::string zone;
    std::string instance_id;
    std::optional<BackupResult> backup;
  };
  static Target TargetOf(const InstanceRun& r) { return {r.info.zone, r.info.instance_id, r.backup}; }

  ZoneBackup(const ZoneContext& ctx, std::vector<Target> todo);

  // Does what is due now: on the first call, looks up the run's AMIs when an earlier attempt may
  // have started some; starts AMIs while the window has room (not once cancelled); checks the AMIs
  // in flight when due; when nothing is left (or cancelled), cleans up the failed ones. An error is
  // the zone's: every backup not over is then reported ended as failed (those with an AMI stay
  // pending in the store, for --resume), and Done() is true.
  Status Step();
  // When Step() next has something to do; nullopt when done.
  std::optional<SteadyTime> NextCheck() const;
  bool Done() const { return done_; }
  // The backups that ended since the last call (instance id, result), in the order they ended.
  std::vector<std::pair<std::string, BackupResult>> TakeEnded();

 private:
  struct Pending {
    Target* run;  // in todo_, which never changes size
    BackupResult result;
  };
  Status Prepare();
  CallRoom CreateRoom() const;                 // what the client's budget lets CreateImage do now
  std::optional<SteadyTime> StartDue() const;  // when the next instance can start; nullopt: window full
  Status TopUp();
  Status RecordIntents(size_t end);
  Status Start(Target& r);
  Result<std::string> Create(const Target& r, const std::string& name);
  Status Check();
  Status Ended(Pending& p, BackupStatus status, const ProblemInfo& err);
  Status CleanUp();
  Status Fail(const Error& e);
  std::string AmiName(const Target& r) const;
  BackupIdentity Identity(const Target& r, const std::string& name) const;

  const ZoneContext& ctx_;
  std::vector<Target> todo_;
  size_t next_ = 0;
  std::vector<Pending> pending_;
  std::vector<Pending> to_clean_;
  std::map<std::string, ImageView> existing_;  // this run's AMIs by name (a resumed run)
  PollSchedule poll_;
  std::string delete_after_;
  bool prepared_ = false;
  bool done_ = false;
  std::vector<std::pair<std::string, BackupResult>> ended_;
};

// Deregisters failed AMIs of this run and deletes the snapshots of their own block device
// mappings (backup_trust.h: only what is provably this run's); sets each result's cleaned_up and
// snapshot_ids, and journals it. `images`: (instance id, its failed backup's result).
void CleanUpFailedBackups(const ZoneContext& ctx,
                          const std::vector<std::pair<std::string, BackupResult*>>& images);

// Records `todo` as not backed up: backups are turned off (disabled, counted as skipped).
Status RecordBackupsDisabled(ResultSink& sink, const std::vector<InstanceRun>& todo);

}  // namespace fleetpatch::workflow
