// PostgresStateStore: the StateStore kept in a PostgreSQL database, so that a team shares one
// record of every run and several machines can work one run (docs/team.md).
//
// - Chosen by a postgresql:// URL (--state, FLEETPATCH_STATE_URL or state.url). Password, TLS and
//   everything else of the connection follow libpq: PGPASSWORD, ~/.pgpass, sslmode=verify-full ...
//   The URL is only ever shown with its password replaced by "***".
// - The same tables and meaning as the SQLite store (postgres_schema.h), versioned migrations, the
//   append-only journal enforced by a trigger.
// - Writes are transactions at READ COMMITTED; the read-modify-write ones (MarkPhaseCompleted) lock
//   the row they change. Reads that must agree (ForEachInstance, ReadConsistently, LoadSnapshot)
//   run in one REPEATABLE READ READ ONLY transaction: one snapshot, never blocking writers.
// - Zone leases are rows claimed with FOR UPDATE SKIP LOCKED and expire by the server's clock; the
//   rollout (canary, waves, error budget) is one row per run that every change locks FOR UPDATE.
// - Run locks work across machines: the holder keeps a session-level advisory lock on a
//   connection of its own, which the server releases the moment that session ends (the process
//   exits or is killed, or its connection drops), plus a run_locks row naming the holder.
//
// Thread-safety: thread-safe; all calls are serialised on one connection by an internal mutex
// (recursive, so that a ForEachInstance callback or a ReadConsistently function may read again).
// A RunLock it grants must be destroyed before the store.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "state/state_store.h"

namespace fleetpatch::state {

class PgConn;          // postgres_conn.h; libpq types stay inside src/state
struct RolloutRecord;  // worker_rules.h
struct WaveCounts;

struct PostgresStateStoreOptions {
  // Open without writing (for runs/show/report): no migration, every write fails with kConfig, and
  // the session is read-only on the server too. Default: false.
  bool read_only = false;
};

class PostgresStateStore final : public StateStore {
 public:
  // Connects to `url` and migrates the schema (unless read_only). `clock` stamps times; it must
  // outlive the store. Connection failures are kConnectivity, a foreign or newer schema kConfig,
  // a read-only open of a database without a store kNotFound.
  static Result<std::unique_ptr<PostgresStateStore>> Open(const std::string& url, const Clock& clock,
                                                          const PostgresStateStoreOptions& options = {});
  ~PostgresStateStore() override;
  PostgresStateStore(const PostgresStateStore&) = delete;
  PostgresStateStore& operator=(const PostgresStateStore&) = delete;

  // The URL without its password.
  const std::string& display() const { return display_; }

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

  // Several workers on one run (postgres_workers.cc).
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
  friend class PostgresRunLock;
  PostgresStateStore(std::unique_ptr<PgConn> conn, std::string url, const Clock& clock, bool read_only);

  // Callers hold mu_.
  std::string NowIso() const;
  std::string NotFound(const std::string& run_id) const;
  Status RequireWritable() const;
  Status RequireRun(const std::string& run_id);
  Status TouchRun(const std::string& run_id, const std::string& now);  // bumps updated_at; kNotFound
  Result<std::vector<RunInfo>> ReadRuns(const char* sql, const std::string& bind);
  // Instances matching `q` with after < seq, at most `limit` (all when limit < 0).
  Result<std::vector<InstanceRun>> QueryPage(const std::string& run_id, const InstanceQuery& q, int64_t after,
                                             int64_t limit, int64_t* last_seq);
  Result<std::vector<Event>> LoadEventsLocked(const std::string& run_id, int64_t after_seq, int64_t limit);
  Result<std::vector<LandingZoneInfo>> LoadZonesLocked(const std::string& run_id);
  template <class Fn>
  auto InReadTransaction(const char* what, Fn&& fn) -> decltype(fn());
  Result<int64_t> AppendEventLocked(const std::string& run_id, const Event& event);
  template <class R>
  Status SaveResults(const std::string& run_id, const std::vector<InstanceResult<R>>& results);
  Status ReleaseLock(const std::string& run_id, const std::string& token);
  Status LostLease(const ZoneLease& lease);  // the kValidation error, naming the current holder
  Result<RolloutRecord> LoadRollout(const std::string& run_id, bool for_update);
  Result<WaveCounts> CountWave(const std::string& run_id, int wave);
  Status SaveRollout(const std::string& run_id, const RolloutRecord& record);
  Result<RolloutStatus> RolloutStatusLocked(const std::string& run_id);

  std::recursive_mutex mu_;
  std::unique_ptr<PgConn> conn_;
  std::string url_;
  std::string display_;
  const Clock& clock_;
  bool read_only_;
  bool in_read_tx_ = false;
};

}  // namespace fleetpatch::state
