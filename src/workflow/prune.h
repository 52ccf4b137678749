// Prune: which of fleetpatch's own backup AMIs to delete between runs (PlanPrune, a pure function
// of what EC2 answered, the policy and what the state store protects), and deleting them
// (ExecutePrune: DeregisterImage, then exactly the snapshots of that AMI's block device mappings).
//
// Trust: an image is fleetpatch's only when it carries created-by=fleetpatch and the backup it
// names (instance-id, run-id and backup-name tags) is what EC2 itself says it is: owner the zone's
// own account, source instance that instance, name that backup name (WhyNotOurBackup, shared with
// the backup phase). Anything else is reported as not fleetpatch's and never touched. Snapshots are
// never looked up by tag: only the ones the AMI's own mappings list that this account owns
// (DescribeOwnedSnapshotIds).
//
// Crash safety: before an image is deregistered, its zone, id and snapshot ids are written to the
// prune's journal (PruneJournal); a later prune first finishes every intent that was not marked
// done (the AMI is gone by then, so only the journal still knows its snapshots). Deleting what is
// already gone is success ("already gone"), so a prune can always be run again.
// Thread-safety: PlanPrune is pure; ExecutePrune uses the ZoneApi and journal given (both
// thread-safe), so zones may be pruned in parallel.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "state/state_store.h"
#include "workflow/backup_trust.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

inline constexpr const char* kCreatedByTag = "fleetpatch:created-by";
inline constexpr const char* kInstanceIdTag = "fleetpatch:instance-id";
inline constexpr const char* kDeleteAfterTag = "fleetpatch:delete-after";

struct PrunePolicy {
  int retention_days = 30;  // Default: 30 (backup.retention_days): older images expire
  int keep_last = 1;        // Default: 1 (backup.keep_last): newest available images kept per instance
};

// What the state store says must stay.
struct PruneProtection {
  std::set<std::string> unfinished_runs;  // run ids that are running or interrupted (resumable)
  std::set<std::string> rollback_images;  // image ids a rollback of a recorded run may still need
};

struct PruneImage {
  std::string zone;
  std::string account_id;  // the zone's account: the only owner whose images are fleetpatch's
  ImageView image;
};

enum class PruneAction {
  kDelete,       // planned for deletion
  kKeep,         // fleetpatch's, kept (reason says which rule)
  kNotOurs,      // not provably created by fleetpatch: never touched
  kDeleted,      // deregistered and its snapshots deleted
  kAlreadyGone,  // deregistered (or its snapshots deleted) by someone else before us
  kFailed,       // a call failed; the reason says which (a later prune retries)
};
const char* PruneActionName(
    PruneAction a);  // "delete", "keep", "not_ours", "deleted", "already_gone", "failed"

struct PruneDecision {
  PruneImage candidate;
  PruneAction action = PruneAction::kKeep;
  std::string reason;
  std::string instance_id;  // from the fleetpatch:instance-id tag (empty when not ours)
  std::string run_id;       // from the fleetpatch:run-id tag
};

// Why an image is not provably fleetpatch's, or empty when it is.
std::string NotOursReason(const PruneImage& image);

// Decides every image. Rules, first match wins: not ours -> kNotOurs; not available or pending ->
// keep; its run has not finished -> keep; a rollback may need it -> keep; among the newest
// keep_last available images of its instance -> keep; neither its delete-after date (UTC day) has
// passed nor is it older than retention_days -> keep; else kDelete. The result is sorted by zone,
// then instance, then creation date.
std::vector<PruneDecision> PlanPrune(std::vector<PruneImage> images, const PrunePolicy& policy,
                                     const PruneProtection& protection,
                                     std::chrono::system_clock::time_point now);

// The journal of a prune's intents, kept in the state store by the caller (see cmd_prune).
struct PruneIntent {
  std::string zone;
  std::string image_id;
  std::vector<std::string> snapshot_ids;
};
class PruneJournal {
 public:
  virtual ~PruneJournal() = default;
  // Recorded before the image is deregistered; an error stops that image's deletion.
  virtual Status Intend(const PruneIntent& intent) = 0;
  // Recorded once the image and all its snapshots are gone.
  virtual Status Done(const PruneIntent& intent) = 0;
};

// The journal kept as the events of a "prune" run in the state store: an intent is an event with the
// image id as its instance and "intent snap-1,snap-2" as its message, its end an event "done".
// Thread-safe (the store is).
class StorePruneJournal final : public PruneJournal {
 public:
  StorePruneJournal(state::StateStore& store, Clock& clock, std::string run_id)
      : store_(store), clock_(clock), run_id_(std::move(run_id)) {}
  Status Intend(const PruneIntent& intent) override;
  Status Done(const PruneIntent& intent) override;

 private:
  state::StateStore& store_;
  Clock& clock_;
  const std::string run_id_;
};

// The intents of earlier prune runs (workflow "prune", not finished) that were never marked done,
// with the ids of those runs (to be marked finished once their intents are).
struct PendingPrune {
  std::vector<std::string> run_ids;
  std::vector<PruneIntent> intents;
};
Result<PendingPrune> FindPendingPrunes(state::StateStore& store);

// What the store protects: the runs that are not finished (running or interrupted, workflow runs
// only), and per instance the backup AMI of the newest of the last `max_runs` runs that patched it
// (what `fleetpatch rollback` of that run would restore).
Result<PruneProtection> ProtectionFromStore(state::StateStore& store, int max_runs);

// Deletes one zone's planned (kDelete) images: one DescribeOwnedSnapshotIds for their snapshots,
// then per image journal intent, DeregisterImage, DeleteSnapshot for each snapshot of its own
// mappings that this account owns, journal done. Each decision becomes kDeleted, kAlreadyGone or
// kFailed with the reason; a failed snapshot lookup fails them all. Never an error of its own.
void ExecutePrune(ZoneApi& api, PruneJournal& journal, const std::vector<PruneDecision*>& planned);

// Finishes an intent left by an earlier prune: the image (if still there) and its snapshots.
// "Already gone" counts as done. Returns the first error that is not a NotFound.
Status FinishIntent(ZoneApi& api, PruneJournal& journal, const PruneIntent& intent);

}  // namespace fleetpatch::workflow
