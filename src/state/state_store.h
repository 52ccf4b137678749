// StateStore: the durable record of fleetpatch runs (the seam between the workflow, the reports and
// the database). Runs, their landing zones and instances, each phase's result per instance and an
// append-only event journal are kept so that a phase started days later, a report, or `--resume`
// after a crash continues from exactly what was recorded.
//
// Abstract so the workflow and reports depend on this contract only; SqliteStateStore (the embedded
// default, also usable in memory for tests) and PostgresStateStore (shared by a team) implement it.
//
// Contracts that hold for every method:
// - Every write is one transaction: after a crash either all of a call's rows are stored or none.
// - A run id that does not exist gives an Error with category kNotFound that names the id.
// - Phase results are keyed by (run, zone, instance_id); the instance must have been saved with
//   SaveInstances first, otherwise the call fails with kNotFound and nothing is written.
// - The store never holds credentials: CreateRun redacts secret-looking config keys (secrets.h).
//
// Thread-safety: implementations are safe to call from many threads (calls are serialised).
// Different processes may open the same store; AcquireRunLock keeps two of them off one run.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/run_model.h"

namespace fleetpatch::state {

// The default location of the store, relative to the working directory.
inline constexpr const char* kDefaultStatePath = ".fleetpatch/state.db";

// In InstanceQuery status lists: matches instances that have no result for that phase yet.
inline constexpr const char* kNoResult = "none";

// A phase result for one instance, for the batched Save* calls.
template <class R>
struct InstanceResult {
  std::string zone;
  std::string instance_id;
  R result;
};
using BackupUpdate = InstanceResult<BackupResult>;
using PrecheckUpdate = InstanceResult<PrecheckResult>;
using PatchUpdate = InstanceResult<PatchResult>;
using StandbyUpdate = InstanceResult<StandbyResult>;
using PostcheckUpdate = InstanceResult<PostcheckResult>;
using RollbackUpdate = InstanceResult<RollbackResult>;

// Which instances of a run to return. Empty fields do not constrain.
// The workflow name of the runs `fleetpatch prune --yes` records: their events are the prune's
// journal; they have no instances and are never continued.
inline constexpr const char* kPruneWorkflow = "prune";

struct InstanceQuery {
  std::string zone;              // only this landing zone
  std::optional<bool> eligible;  // only eligible (true) or ineligible (false) instances
  // The instance's status for that phase must be one of these names (BackupStatusName() ...);
  // kNoResult matches instances with no result for the phase.
  std::vector<std::string> backup_status;
  std::vector<std::string> precheck_status;
  std::vector<std::string> patch_status;
  // false: the workflow's view: no tags, and precheck results without their findings and raw
  // output (about 6 KiB less per instance; the phases need ids, statuses and AMI names, not these).
  // Default: true (everything).
  bool details = true;
};

// ---- several workers on one run (docs/team.md) ----

// A worker's claim on one landing zone of a run: while it holds the lease, no other worker works
// the zone. It lasts until `expires_at` unless renewed; an expired lease may be claimed by another
// worker, which then resumes the zone from what the store records.
struct ZoneLease {
  std::string run_id;
  std::string zone;
  std::string worker_id;
  // Counts the claims of this zone: it tells this lease from the one of a worker that took the zone
  // over, so a late heartbeat of the old holder is refused.
  int64_t generation = 0;
  std::string expires_at;  // ISO 8601 UTC, milliseconds
  // Set when the zone was taken from another worker whose lease had expired: that worker's id.
  std::string taken_from;
};

// A zone's lease row, for an overview of who works what.
struct ZoneLeaseInfo {
  std::string zone;
  std::string worker_id;   // "" when nobody holds it
  std::string expires_at;  // "" when nobody holds it
  int64_t generation = 0;
  bool done = false;  // released as finished: never claimed again
};

// The run-wide rollout rules of the patch phase, fixed by the first worker that starts the rollout.
struct RolloutPolicy {
  int canary_size = 1;  // Default: 1 instance in wave 0, the canary wave (0: no canary)
  int wave_size = 50;   // Default: 50 instances per later wave (>= 1)
  // Patch failures the run tolerates: the budget is spent when failures exceed it (the caller
  // resolves workflow.error_budget against the instances to patch). Default: 0.
  int64_t allowed_failures = 0;
  bool canary_must_succeed = true;  // Default: true (a failed canary instance stops the rollout)
};

// Where the rollout stands.
struct RolloutStatus {
  RolloutPolicy policy;
  int wave = 0;         // the open wave
  bool canary = false;  // the open wave is the canary wave
  int64_t admitted_in_wave = 0;
  int64_t ended_in_wave = 0;
  int64_t failures = 0;       // across every wave (and failures recorded outside any wave)
  bool budget_spent = false;  // failures > policy.allowed_failures
  std::string stop_reason;    // "" while the rollout goes on; once set, it never clears
};

enum class AdmitDecision {
  kAdmitted,  // patch the instance now, in wave `wave`
  kWait,      // the open wave is full and still running: ask again later
  kStopped,   // the rollout stopped (`reason`): skip the instance
};

struct Admission {
  AdmitDecision decision = AdmitDecision::kWait;
  int wave = -1;        // kAdmitted: the instance's wave
  bool canary = false;  // kAdmitted: that wave is the canary wave
  std::string reason;   // kStopped: why ("canary wave failed: rollout stopped", "error budget spent ...")
};

// Who holds a run's lock.
struct LockHolder {
  int64_t pid = 0;
  std::string host;
  std::string since;  // ISO 8601 UTC
};

// Proof that this process works a run. Released when destroyed (or by Release()). Must not outlive
// the store that granted it.
class RunLock {
 public:
  virtual ~RunLock() = default;
  virtual const std::string& run_id() const = 0;
  // Releases early; returns an error if the lock row could not be removed (it then goes stale and is
  // taken over by the next process on this host).
  virtual Status Release() = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // ---- runs ----
  // Records a new run. run.run_id must be set (see run_id.h) and unique, else kValidation.
  // Empty created_at/updated_at are filled with the current time. Secret-looking config values are
  // replaced by "[REDACTED]" (common/redact.h) before they are written.
  virtual Status CreateRun(const RunInfo& run) = 0;
  virtual Status UpdateRunStatus(const std::string& run_id, RunStatus status) = 0;
  // Adds `phase` to the run's phases_completed (once; order of first completion is kept). Flushed to
  // disk with a full sync, since it decides whether a later invocation redoes the phase.
  virtual Status MarkPhaseCompleted(const std::string& run_id, Phase phase) = 0;
  virtual Result<RunInfo> GetRun(const std::string& run_id) = 0;
  // The most recently created workflow run (runs of kPruneWorkflow, which only journal a prune's
  // deletions, are passed over); kNotFound when the store has none.
  virtual Result<RunInfo> LatestRun() = 0;
  // Newest first, at most `limit` (all when limit <= 0).
  virtual Result<std::vector<RunInfo>> ListRuns(int limit) = 0;

  // ---- zones and instances ----
  // Inserts or updates by (run, zone name); first-save order is kept on load.
  virtual Status SaveZones(const std::string& run_id, const std::vector<LandingZoneInfo>& zones) = 0;
  virtual Result<std::vector<LandingZoneInfo>> LoadZones(const std::string& run_id) = 0;
  // Inserts or updates by (run, zone, instance_id) in one transaction; a re-scan keeps the
  // instance's phase results. First-save order is kept on load.
  virtual Status SaveInstances(const std::string& run_id, const std::vector<InstanceInfo>& instances) = 0;
  virtual Result<std::vector<InstanceInfo>> LoadInstances(const std::string& run_id) = 0;

  // ---- phase results (replace the previous result of that phase) ----
  virtual Status SaveBackups(const std::string& run_id, const std::vector<BackupUpdate>& results) = 0;
  virtual Status SavePrechecks(const std::string& run_id, const std::vector<PrecheckUpdate>& results) = 0;
  virtual Status SavePatches(const std::string& run_id, const std::vector<PatchUpdate>& results) = 0;
  // The Auto Scaling handling around an instance's patch (standby, suspended group). Written at
  // once, never buffered: an intent (in_standby, group_suspended) must be on disk before the call
  // that makes it true, so that `--resume` finds whatever a crash left behind.
  virtual Status SaveStandbys(const std::string& run_id, const std::vector<StandbyUpdate>& results) = 0;
  // The safety loop's results (docs/safety.md). A rollback is saved with its task id before
  // fleetpatch waits for the task, so a resumed run polls that task instead of starting another.
  virtual Status SavePostchecks(const std::string& run_id, const std::vector<PostcheckUpdate>& results) = 0;
  virtual Status SaveRollbacks(const std::string& run_id, const std::vector<RollbackUpdate>& results) = 0;
  Status SaveBackup(const std::string& run_id, const std::string& zone, const std::string& instance_id,
                    const BackupResult& result) {
    return SaveBackups(run_id, {{zone, instance_id, result}});
  }
  Status SavePrecheck(const std::string& run_id, const std::string& zone, const std::string& instance_id,
                      const PrecheckResult& result) {
    return SavePrechecks(run_id, {{zone, instance_id, result}});
  }
  Status SavePatch(const std::string& run_id, const std::string& zone, const std::string& instance_id,
                   const PatchResult& result) {
    return SavePatches(run_id, {{zone, instance_id, result}});
  }
  Status SavePostcheck(const std::string& run_id, const std::string& zone, const std::string& instance_id,
                       const PostcheckResult& result) {
    return SavePostchecks(run_id, {{zone, instance_id, result}});
  }
  Status SaveRollback(const std::string& run_id, const std::string& zone, const std::string& instance_id,
                      const RollbackResult& result) {
    return SaveRollbacks(run_id, {{zone, instance_id, result}});
  }

  // ---- reading a run ----
  // Instances (with their results) matching `query`, in first-save order.
  virtual Result<std::vector<InstanceRun>> QueryInstances(const std::string& run_id,
                                                          const InstanceQuery& query) = 0;
  // Per status name, how many of the run's instances have it for `phase` (kNoResult counts the
  // instances without a result; for kScan: "eligible" / "ineligible").
  virtual Result<std::map<std::string, int64_t>> CountByStatus(const std::string& run_id, Phase phase) = 0;
  // Everything: run, zones, instances with results, events. Memory grows with the run: tests and
  // small tools only; reports iterate with ForEachInstance / ForEachEvent instead.
  virtual Result<RunSnapshot> LoadSnapshot(const std::string& run_id) = 0;

  // Visits the instances matching `query` in first-save order, at most `batch_size` (>= 1) at a
  // time, so a caller's memory stays bounded whatever the size of the run. Stops at the first error
  // `fn` returns and returns it. The whole visit reads one snapshot of the store (one read
  // transaction): a workflow writing concurrently (another process) is not blocked, and the visit
  // sees every instance either as it was before or after each of that workflow's writes, never a
  // mix, and no instance twice or not at all. Other threads' calls to this store wait until the
  // visit ends; `fn` may call this store's read methods (they join the snapshot) but not write.
  // The default implementation (for stores other than SqliteStateStore) is correct but loads the
  // matching instances at once (QueryInstances) before handing them over in batches.
  virtual Status ForEachInstance(const std::string& run_id, const InstanceQuery& query, size_t batch_size,
                                 const std::function<Status(std::vector<InstanceRun>&&)>& fn);
  // The run's events in order, at most `batch_size` at a time; the same snapshot rules as above
  // (default: LoadEvents, then batches).
  virtual Status ForEachEvent(const std::string& run_id, size_t batch_size,
                              const std::function<Status(std::vector<Event>&&)>& fn);
  // Runs `fn` inside one read transaction: every read `fn` makes on this store from this thread
  // (GetRun, LoadZones, ForEachInstance, CountByStatus ...) sees the same snapshot, so several
  // passes over a run (a report's summary, then each format) agree with each other even while
  // another process writes. Other threads' calls wait until `fn` returns. `fn` must not write
  // (writes fail with kInternal inside the transaction). Nested calls join the outer snapshot.
  // Default: runs `fn` as it is (no snapshot across calls).
  virtual Status ReadConsistently(const std::function<Status()>& fn) { return fn(); }

  // The instances matching `query` that `keep` accepts, in first-save order, read with
  // ForEachInstance `batch_size` (>= 1) at a time: only the kept ones are held, never every match at
  // once. For the passes over a run that keep a few of its instances: after the rollout of 10,000,
  // reading its 9,063 patched records with their details at once took ~60 MiB for a moment.
  Result<std::vector<InstanceRun>> SelectInstances(const std::string& run_id, const InstanceQuery& query,
                                                   const std::function<bool(const InstanceRun&)>& keep,
                                                   size_t batch_size = kSelectBatch);
  static constexpr size_t kSelectBatch = 512;

  // Resume helpers (what a phase still has to do), built on QueryInstances, in the workflow's view
  // (details = false: no tags, no precheck findings or output).
  // Eligible instances with no backup yet or one still pending (an AMI may exist: look it up by name).
  Result<std::vector<InstanceRun>> PendingBackups(const std::string& run_id);
  // Eligible instances without a precheck result.
  Result<std::vector<InstanceRun>> PendingPrechecks(const std::string& run_id);
  // Instances whose patch was started or planned but has no terminal result (pending, in_progress).
  Result<std::vector<InstanceRun>> UnfinishedPatches(const std::string& run_id);

  // ---- event journal (append-only) ----
  // Appends and returns the event's sequence number (increasing across the whole store). An empty
  // event.time is filled with the current time; event.seq is ignored.
  virtual Result<int64_t> AppendEvent(const std::string& run_id, const Event& event) = 0;
  virtual Status AppendEvents(const std::string& run_id, const std::vector<Event>& events) = 0;
  // The run's events with seq > after_seq, in order.
  virtual Result<std::vector<Event>> LoadEvents(const std::string& run_id, int64_t after_seq = 0) = 0;

  // ---- locking ----
  // Takes the run's lock for this process. If another live process holds it: kValidation naming the
  // holder's pid, host and since-when. A lock left by a dead process on this host (or by a process
  // whose pid has since been reused) is taken over atomically: of several takers exactly one wins.
  // A lock held from another host is never taken over automatically (BreakRunLock).
  virtual Result<std::unique_ptr<RunLock>> AcquireRunLock(const std::string& run_id) = 0;
  // The current holder, or nullopt when the run is not locked.
  virtual Result<std::optional<LockHolder>> GetRunLockHolder(const std::string& run_id) = 0;
  // Removes the lock whoever holds it (for an operator who knows the holder is gone).
  virtual Status BreakRunLock(const std::string& run_id) = 0;

  // ---- several workers on one run: zone leases ----
  // Every zone of the run saved with SaveZones can be leased. Expiry is judged by one clock for
  // all workers: the database server's (PostgreSQL) or the store's Clock (SQLite, one machine).
  // `ttl` must be positive, else kValidation. An unknown run is kNotFound.
  //
  // Claims the first zone of the run (in SaveZones order) that is not done and that nobody holds
  // or whose lease has expired, for `worker_id`, until now + ttl. `only_zones` non-empty: only
  // those zones (a worker that can reach some partitions only). Of several workers claiming at
  // once each gets a different zone; none waits for another's claim. nullopt when no zone is free.
  // Taking over an expired lease sets taken_from and appends a warning event to the journal.
  virtual Result<std::optional<ZoneLease>> ClaimZone(const std::string& run_id, const std::string& worker_id,
                                                     const std::vector<std::string>& only_zones,
                                                     std::chrono::milliseconds ttl) = 0;
  // Heartbeat: extends the lease to now + ttl and updates lease->expires_at. A lease that has
  // expired but was not taken over is extended too. kValidation when the lease is no longer this
  // worker's (taken over, released, or the zone is done): the worker must stop working the zone.
  virtual Status RenewZoneLease(ZoneLease* lease, std::chrono::milliseconds ttl) = 0;
  // Gives the zone up: `done` marks it finished (never claimed again), otherwise it is free for
  // the next claim at once. kValidation, and nothing changes, when the lease is no longer this
  // worker's.
  virtual Status ReleaseZone(const ZoneLease& lease, bool done) = 0;
  // Every zone of the run with its lease, in SaveZones order (a zone never claimed: free, not done).
  virtual Result<std::vector<ZoneLeaseInfo>> ListZoneLeases(const std::string& run_id) = 0;

  // ---- several workers on one run: the patch rollout ----
  // The canary gate, the waves and the error budget as one record per run, changed only in
  // transactions that serialise on it, so they hold whichever worker patches which instance.
  // Waves: wave 0 takes policy.canary_size instances (policy.wave_size without a canary), each
  // later wave policy.wave_size; the next wave opens when the open one is full and every instance
  // in it ended. A wave that never fills does not hold anyone up: instances keep joining it.
  //
  // Starts the run's rollout with `policy`, or leaves the one already started (whose policy wins)
  // as it is. Returns its status. kValidation for canary_size < 0, wave_size < 1 or
  // allowed_failures < 0; kNotFound for an unknown run.
  virtual Result<RolloutStatus> StartRollout(const std::string& run_id, const RolloutPolicy& policy) = 0;
  // Admits the instance to the open wave if the rollout goes on (the canary did not fail, the
  // budget is not spent) and the wave has room; may open the next wave. Asking again for an
  // instance already admitted returns its wave again (a worker that took a zone over resumes); an
  // instance whose end was recorded without admission is kStopped. kNotFound when the rollout was
  // not started (or the run is unknown).
  virtual Result<Admission> AdmitToWave(const std::string& run_id, const std::string& zone,
                                        const std::string& instance_id) = 0;
  // Records that an admitted instance's patch ended; `failed`: failed, timed out or cancelled
  // (counts against the budget); false for any other end, including an admitted instance that was
  // not patched after all. A failed canary instance stops the rollout (canary_must_succeed), and
  // so does a failure that spends the budget. Only the first end recorded for an instance counts;
  // an instance never admitted counts against the budget but belongs to no wave. Returns the status
  // after the change (budget_spent, stop_reason). kNotFound when the rollout was not started.
  virtual Result<RolloutStatus> RecordPatchEnd(const std::string& run_id, const std::string& zone,
                                               const std::string& instance_id, bool failed) = 0;
  // The rollout's status; kNotFound when it was not started.
  virtual Result<RolloutStatus> GetRollout(const std::string& run_id) = 0;
};

}  // namespace fleetpatch::state
