// SqliteStateStore: the StateStore kept in an embedded SQLite database (default
// `.fleetpatch/state.db`).
//
// - WAL mode, so readers (`fleetpatch runs`, `show`, `report`) never block a running workflow.
// - synchronous=NORMAL for ordinary writes: in WAL mode a killed process loses nothing that was
//   committed; only a power loss can drop the last few commits, which a resume redoes (AMI names
//   are deterministic, patch results are re-read from AWS). MarkPhaseCompleted and UpdateRunStatus
//   commit with synchronous=FULL: they are rare (a handful per run) and decide whether the next
//   invocation skips a phase, so they must survive a power loss too.
// - busy_timeout (default 5 s) and BEGIN IMMEDIATE writes let several processes share the file.
// - The directories it creates are 0700 and the database (with its -wal and -shm files) 0600.
// - Several workers on one run (zone leases, the rollout) work as on PostgreSQL, for the processes
//   of one machine: BEGIN IMMEDIATE serialises them and expiry follows the store's Clock.
// - ":memory:" opens a private in-memory store (for tests; no files, no permissions).
//
// Thread-safety: thread-safe; all calls are serialised on one connection by an internal mutex
// (recursive, so that a ForEachInstance callback or a ReadConsistently function may read again).
// A RunLock it grants must be destroyed before the store.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "state/state_store.h"

namespace fleetpatch::state {

class Db;              // sqlite_util.h; SQLite types stay inside src/state
class StoreEnv;        // store_env.h
struct RolloutRecord;  // worker_rules.h
struct WaveCounts;

struct SqliteStateStoreOptions {
  // Open without writing (for runs/show/report): no migration, no lock needed, every write fails
  // with kConfig. A missing file is kNotFound. Default: false.
  bool read_only = false;
  // How long a call waits for another process's write transaction. Default: 5 s.
  std::chrono::milliseconds busy_timeout{5000};
  // The operating system as the store sees it (directories, file modes, host, processes); it must
  // outlive the store. Default: nullptr, meaning DefaultStoreEnv() (the real one).
  StoreEnv* env = nullptr;
};

class SqliteStateStore final : public StateStore {
 public:
  // Opens (creating when needed, unless read_only) the store at `path` and migrates its schema.
  // `clock` stamps created_at/updated_at/event times and lock times; it must outlive the store.
  static Result<std::unique_ptr<SqliteStateStore>> Open(const std::string& path, const Clock& clock,
                                                        const SqliteStateStoreOptions& options = {});
  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  const std::string& path() const { return path_; }
  // PRAGMA integrity_check plus a foreign-key check: OK when the database is sound, otherwise an
  // Error listing what is wrong.
  Status CheckIntegrity();

  Status CreateRun(const RunInfo& run) override;
  Status UpdateRunStatus(const std::string& run_id, RunStatus status) override;
  Status MarkPhaseCompleted(const std::string& run_id, Phase phase) override;
  Result<RunInfo> GetRun(const std::string& run_id) override;
  Result<RunInfo> LatestRun() override;
  Result<std::vector<RunInfo>> ListRuns(int limit) override;

  Status SaveZones(const std::string& run_id, const std::vector<LandingZoneInfo>& zones) override;
  Result<std::vector<LandingZoneInfo>> LoadZones(const std::string& run_id) override;
  Status SaveInstances(const std::string& run_id, const std::vector<InstanceInfo>& instances) override;
  Result<std::vector<InstanceInfo>> LoadInstances(const std::string& run_id) override;

  Status SaveBackups(const std::string& run_id, const std::vector<BackupUpdate>& results) override;
  Status SavePrechecks(const std::string& run_id, const std::vector<PrecheckUpdate>& results) override;
  Status SavePatches(const std::string& run_id, const std::vector<PatchUpdate>& results) override;
  Status SaveStandbys(const std::string& run_id, const std::vector<StandbyUpdate>& results) override;
  Status SavePostchecks(const std::string& run_id, const std::vector<PostcheckUpdate>& results) override;
  Status SaveRollbacks(const std::string& run_id, const std::vector<RollbackUpdate>& results) override;

  Result<std::vector<InstanceRun>> QueryInstances(const std::string& run_id,
                                                  const InstanceQuery& query) override;
  Result<std::map<std::string, int64_t>> CountByStatus(const std::string& run_id, Phase phase) override;
  Result<RunSnapshot> LoadSnapshot(const std::string& run_id) override;
  Status ForEachInstance(const std::string& run_id, const InstanceQuery& query, size_t batch_size,
                         const std::function<Status(std::vector<InstanceRun>&&)>& fn) override;
  Status ForEachEvent(const std::string& run_id, size_t batch_size,
                      const std::function<Status(std::vector<Event>&&)>& fn) override;
  Status ReadConsistently(const std::function<Status()>& fn) override;

  Result<int64_t> AppendEvent(const std::string& run_id, const Event& event) override;
  Status AppendEvents(const std::string& run_id, const std::vector<Event>& events) override;
  Result<std::vector<Event>> LoadEvents(const std::string& run_id, int64_t after_seq = 0) override;

  Result<std::unique_ptr<RunLock>> AcquireRunLock(const std::string& run_id) override;
  Result<std::optional<LockHolder>> GetRunLockHolder(const std::string& run_id) override;
  Status BreakRunLock(const std::string& run_id) override;

  // Several workers on one run (sqlite_workers.cc).
  Result<std::optional<ZoneLease>> ClaimZone(const std::string& run_id, const std::string& worker_id,
                                             const std::vector<std::string>& only_zones,
                                             std::chrono::milliseconds ttl) override;
  Status RenewZoneLease(ZoneLease* lease, std::chrono::milliseconds ttl) override;
  Status ReleaseZone(const ZoneLease& lease, bool done) override;
  Result<std::vector<ZoneLeaseInfo>> ListZoneLeases(const std::string& run_id) override;
  Result<RolloutStatus> StartRollout(const std::string& run_id, const RolloutPolicy& policy) override;
  Result<Admission> AdmitToWave(const std::string& run_id, const std::string& zone,
                                const std::string& instance_id) override;
  Result<RolloutStatus> RecordPatchEnd(const std::string& run_id, const std::string& zone,
                                       const std::string& instance_id, bool failed) override;
  Result<RolloutStatus> GetRollout(const std::string& run_id) override;

 private:
  friend class SqliteRunLock;
  SqliteStateStore(std::unique_ptr<Db> db, std::string path, const Clock& clock, StoreEnv& env,
                   bool read_only);

  // Callers hold mu_.
  std::string NowIso() const;
  Status RequireWritable() const;
  Status RequireRun(const std::string& run_id);
  Status TouchRun(const std::string& run_id, const std::string& now);  // bumps updated_at; kNotFound
  Result<RunInfo> ReadRun(const char* sql, const std::string& bind, const std::string& not_found);
  Result<std::vector<InstanceRun>> QueryLocked(const std::string& run_id, const InstanceQuery& query);
  // A page's window of instances.seq: after < seq <= last.
  struct SeqRange {
    int64_t after = 0;
    int64_t last = 0;
  };
  // With limit < 0: every matching instance (QueryLocked). Otherwise one page: at most `limit`
  // matching instances within `range`. *last_seq is set to the seq of the last one returned.
  Result<std::vector<InstanceRun>> QueryPageLocked(const std::string& run_id, const InstanceQuery& query,
                                                   SeqRange range, int64_t limit, int64_t* last_seq);
  Result<std::vector<Event>> LoadEventsLocked(const std::string& run_id, int64_t after_seq,
                                              int64_t limit = -1);
  // Runs `fn` in a read transaction, or in the caller's when one is already open on this thread.
  template <class Fn>
  auto InReadTransaction(const char* what, Fn&& fn) -> decltype(fn());
  Status AppendEventLocked(const std::string& run_id, const Event& event, int64_t* seq);
  template <class R>
  Status SaveResults(const std::string& run_id, const std::vector<InstanceResult<R>>& results);
  // Runs `fn` (a write transaction) with synchronous=FULL, then restores NORMAL.
  template <class Fn>
  Status WithFullSync(Fn&& fn);
  Status ReleaseLock(const std::string& run_id, const std::string& token);
  Status LostLease(const ZoneLease& lease);  // the kValidation error, naming the current holder
  Result<RolloutRecord> LoadRollout(const std::string& run_id);
  Result<WaveCounts> CountWave(const std::string& run_id, int wave);
  Status SaveRollout(const std::string& run_id, const RolloutRecord& record);
  Result<RolloutStatus> RolloutStatusLocked(const std::string& run_id);
  // The wave an instance is stored with in the rollout, nullopt when it is not known there.
  Result<std::optional<int>> KnownWave(const std::string& run_id, const std::string& zone,
                                       const std::string& instance_id);

  std::recursive_mutex mu_;
  std::unique_ptr<Db> db_;
  std::string path_;
  const Clock& clock_;
  StoreEnv& env_;
  bool read_only_;
};

}  // namespace fleetpatch::state
