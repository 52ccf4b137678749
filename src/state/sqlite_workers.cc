// SqliteStateStore's methods for several workers on one run. SQLite serves one machine, so this is
// the simple form of the same contract: every claim, renewal and rollout change is a BEGIN
// IMMEDIATE transaction, which holds the whole database's write lock, so claimers and admissions
// are serialised without row locks (there is nothing to skip), and expiry is judged by the store's
// Clock, which every process on the machine shares. The rules are worker_rules.h's, as on
// PostgreSQL.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "state/sqlite_state_store.h"
#include "state/sqlite_util.h"
#include "state/worker_rules.h"

namespace fleetpatch::state {
namespace {

int64_t EpochMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string IsoOfMillis(int64_t ms) { return FormatIso8601Millis(TimePoint(std::chrono::milliseconds(ms))); }

// The first free zone (never claimed, released, or expired at ?2) of run ?1, in SaveZones order.
// ?3: a JSON array of the zones allowed, or NULL for all.
constexpr const char* kClaimable =
    "SELECT l.zone, coalesce(l.worker_id, ''), coalesce(l.expires_at_ms, 0) FROM zone_leases l "
    "JOIN zones z ON z.run_id = l.run_id AND z.name = l.zone "
    "WHERE l.run_id = ?1 AND NOT l.done AND (l.worker_id IS NULL OR l.expires_at_ms <= ?2) "
    "AND (?3 IS NULL OR l.zone IN (SELECT value FROM json_each(?3))) ORDER BY z.seq LIMIT 1";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Zone leases

Status SqliteStateStore::LostLease(const ZoneLease& lease) {
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT coalesce(worker_id, ''), done FROM zone_leases "
                                                 "WHERE run_id = ?1 AND zone = ?2",
                                                 "reading a zone lease"));
  st.Bind(1, lease.run_id).Bind(2, lease.zone);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("reading a zone lease"));
  return row ? LostLeaseError(lease, st.Text(0), st.Int(1) != 0) : LostLeaseError(lease, "", false);
}

Result<std::optional<ZoneLease>> SqliteStateStore::ClaimZone(const std::string& run_id,
                                                             const std::string& worker_id,
                                                             const std::vector<std::string>& only_zones,
                                                             std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(CheckLeaseTtl(ttl));
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "claiming a zone"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(Statement rows, db_->Prepare("INSERT OR IGNORE INTO zone_leases (run_id, zone) "
                                                   "SELECT run_id, name FROM zones WHERE run_id = ?1",
                                                   "claiming a zone"));
  FP_RETURN_IF_ERROR(rows.Bind(1, run_id).Run("claiming a zone"));
  const int64_t now = EpochMillis(clock_.Now());
  FP_ASSIGN_OR_RETURN(Statement free, db_->Prepare(kClaimable, "claiming a zone"));
  free.Bind(1, run_id).Bind(2, now);
  if (only_zones.empty()) {
    free.BindNull(3);
  } else {
    free.Bind(3, nlohmann::json(only_zones).dump());
  }
  FP_ASSIGN_OR_RETURN(bool found, free.Step("claiming a zone"));
  if (!found) return std::optional<ZoneLease>();
  ZoneLease lease{run_id, free.Text(0), worker_id};
  lease.taken_from = free.Text(1);
  const std::string expired_at = IsoOfMillis(free.Int(2));
  FP_ASSIGN_OR_RETURN(Statement take,
                      db_->Prepare("UPDATE zone_leases SET worker_id = ?3, expires_at_ms = ?4, "
                                   "generation = generation + 1 WHERE run_id = ?1 AND zone = ?2 "
                                   "RETURNING generation",
                                   "claiming a zone"));
  take.Bind(1, run_id).Bind(2, lease.zone).Bind(3, worker_id).Bind(4, now + ttl.count());
  FP_ASSIGN_OR_RETURN(bool took, take.Step("claiming a zone"));
  if (!took) return Error::Internal("zone " + lease.zone + " vanished while being claimed");
  lease.generation = take.Int(0);
  lease.expires_at = IsoOfMillis(now + ttl.count());
  take.Reset();
  if (!lease.taken_from.empty())
    FP_RETURN_IF_ERROR(AppendEventLocked(run_id, TakeoverEvent(lease, expired_at), nullptr));
  FP_RETURN_IF_ERROR(tx.Commit());
  return std::optional<ZoneLease>(std::move(lease));
}

Status SqliteStateStore::RenewZoneLease(ZoneLease* lease, std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(CheckLeaseTtl(ttl));
  const int64_t expires = EpochMillis(clock_.Now()) + ttl.count();
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("UPDATE zone_leases SET expires_at_ms = ?5 WHERE run_id = ?1 AND "
                                   "zone = ?2 AND worker_id = ?3 AND generation = ?4 AND NOT done",
                                   "renewing a zone lease"));
  st.Bind(1, lease->run_id)
      .Bind(2, lease->zone)
      .Bind(3, lease->worker_id)
      .Bind(4, lease->generation)
      .Bind(5, expires);
  FP_RETURN_IF_ERROR(st.Run("renewing a zone lease"));
  if (db_->Changes() == 0) return LostLease(*lease);
  lease->expires_at = IsoOfMillis(expires);
  return OkStatus();
}

Status SqliteStateStore::ReleaseZone(const ZoneLease& lease, bool done) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("UPDATE zone_leases SET worker_id = NULL, expires_at_ms = NULL, "
                                   "done = ?5 WHERE run_id = ?1 AND zone = ?2 AND worker_id = ?3 AND "
                                   "generation = ?4 AND NOT done",
                                   "releasing a zone lease"));
  st.Bind(1, lease.run_id)
      .Bind(2, lease.zone)
      .Bind(3, lease.worker_id)
      .Bind(4, lease.generation)
      .Bind(5, done);
  FP_RETURN_IF_ERROR(st.Run("releasing a zone lease"));
  if (db_->Changes() == 0) return LostLease(lease);
  return OkStatus();
}

Result<std::vector<ZoneLeaseInfo>> SqliteStateStore::ListZoneLeases(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("SELECT z.name, coalesce(l.worker_id, ''), l.expires_at_ms, "
                                   "coalesce(l.generation, 0), coalesce(l.done, 0) FROM zones z "
                                   "LEFT JOIN zone_leases l ON l.run_id = z.run_id AND l.zone = z.name "
                                   "WHERE z.run_id = ?1 ORDER BY z.seq",
                                   "listing zone leases"));
  st.Bind(1, run_id);
  std::vector<ZoneLeaseInfo> out;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step("listing zone leases"));
    if (!row) break;
    out.push_back(
        {st.Text(0), st.Text(1), st.IsNull(2) ? "" : IsoOfMillis(st.Int(2)), st.Int(3), st.Int(4) != 0});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The rollout

Result<RolloutRecord> SqliteStateStore::LoadRollout(const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("SELECT canary_size, wave_size, allowed_failures, "
                                   "canary_must_succeed, wave, failures, stop_reason FROM rollouts "
                                   "WHERE run_id = ?1",
                                   "reading the rollout"));
  st.Bind(1, run_id);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("reading the rollout"));
  if (!row) return Error::NotFound(NoRolloutMessage(run_id, path_));
  RolloutRecord rec;
  rec.policy = {static_cast<int>(st.Int(0)), static_cast<int>(st.Int(1)), st.Int(2), st.Int(3) != 0};
  rec.wave = static_cast<int>(st.Int(4));
  rec.failures = st.Int(5);
  rec.stop_reason = st.Text(6);
  return rec;
}

Result<WaveCounts> SqliteStateStore::CountWave(const std::string& run_id, int wave) {
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("SELECT count(*), coalesce(sum(ended), 0) FROM rollout_instances "
                                   "WHERE run_id = ?1 AND wave = ?2",
                                   "counting a wave"));
  st.Bind(1, run_id).Bind(2, wave);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("counting a wave"));
  if (!row) return WaveCounts{};
  return WaveCounts{st.Int(0), st.Int(1)};
}

Status SqliteStateStore::SaveRollout(const std::string& run_id, const RolloutRecord& rec) {
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("UPDATE rollouts SET wave = ?2, failures = ?3, stop_reason = ?4 "
                                   "WHERE run_id = ?1",
                                   "updating the rollout"));
  return st.Bind(1, run_id)
      .Bind(2, rec.wave)
      .Bind(3, rec.failures)
      .Bind(4, rec.stop_reason)
      .Run("updating the rollout");
}

Result<RolloutStatus> SqliteStateStore::RolloutStatusLocked(const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(RolloutRecord rec, LoadRollout(run_id));
  FP_ASSIGN_OR_RETURN(WaveCounts open, CountWave(run_id, rec.wave));
  return StatusOf(rec, open);
}

Result<RolloutStatus> SqliteStateStore::StartRollout(const std::string& run_id, const RolloutPolicy& policy) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(CheckRolloutPolicy(policy));
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "starting the rollout"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("INSERT OR IGNORE INTO rollouts (run_id, canary_size, wave_size, "
                                   "allowed_failures, canary_must_succeed) VALUES (?1, ?2, ?3, ?4, ?5)",
                                   "starting the rollout"));
  st.Bind(1, run_id).Bind(2, policy.canary_size).Bind(3, policy.wave_size).Bind(4, policy.allowed_failures);
  FP_RETURN_IF_ERROR(st.Bind(5, policy.canary_must_succeed).Run("starting the rollout"));
  FP_ASSIGN_OR_RETURN(RolloutStatus status, RolloutStatusLocked(run_id));
  FP_RETURN_IF_ERROR(tx.Commit());
  return status;
}

Result<RolloutStatus> SqliteStateStore::GetRollout(const std::string& run_id) {
  std::lock_guard lock(mu_);
  if (sqlite3_get_autocommit(db_->raw()) == 0) return RolloutStatusLocked(run_id);  // ReadConsistently's
  FP_RETURN_IF_ERROR(db_->Exec("BEGIN", "reading the rollout"));  // the record and its counts agree
  auto status = RolloutStatusLocked(run_id);
  (void)db_->Exec("COMMIT", "reading the rollout");
  return status;
}

Result<std::optional<int>> SqliteStateStore::KnownWave(const std::string& run_id, const std::string& zone,
                                                       const std::string& instance_id) {
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT wave FROM rollout_instances WHERE run_id = ?1 AND "
                                                 "zone = ?2 AND instance_id = ?3",
                                                 "admitting an instance"));
  st.Bind(1, run_id).Bind(2, zone).Bind(3, instance_id);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("admitting an instance"));
  return row ? std::optional<int>(static_cast<int>(st.Int(0))) : std::nullopt;
}

Result<Admission> SqliteStateStore::AdmitToWave(const std::string& run_id, const std::string& zone,
                                                const std::string& instance_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "admitting an instance"));
  FP_ASSIGN_OR_RETURN(RolloutRecord rec, LoadRollout(run_id));
  FP_ASSIGN_OR_RETURN(std::optional<int> known, KnownWave(run_id, zone, instance_id));
  if (known) return AdmittedBefore(rec.policy, *known);
  FP_ASSIGN_OR_RETURN(WaveCounts open, CountWave(run_id, rec.wave));
  const Admission a = DecideAdmission(&rec, open);
  if (a.decision == AdmitDecision::kAdmitted) {
    FP_ASSIGN_OR_RETURN(Statement st,
                        db_->Prepare("INSERT INTO rollout_instances (run_id, zone, instance_id, wave) "
                                     "VALUES (?1, ?2, ?3, ?4)",
                                     "admitting an instance"));
    FP_RETURN_IF_ERROR(
        st.Bind(1, run_id).Bind(2, zone).Bind(3, instance_id).Bind(4, a.wave).Run("admitting an instance"));
  }
  FP_RETURN_IF_ERROR(SaveRollout(run_id, rec));
  FP_RETURN_IF_ERROR(tx.Commit());
  return a;
}

Result<RolloutStatus> SqliteStateStore::RecordPatchEnd(const std::string& run_id, const std::string& zone,
                                                       const std::string& instance_id, bool failed) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "recording a patch end"));
  FP_ASSIGN_OR_RETURN(RolloutRecord rec, LoadRollout(run_id));
  // Inserts the instance outside any wave when it was never admitted; an end already recorded is
  // left as it is (RETURNING then gives no row).
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("INSERT INTO rollout_instances (run_id, zone, instance_id, wave, "
                                   "ended, failed) VALUES (?1, ?2, ?3, ?5, 1, ?4) "
                                   "ON CONFLICT (run_id, zone, instance_id) DO UPDATE SET ended = 1, "
                                   "failed = excluded.failed WHERE NOT ended RETURNING wave",
                                   "recording a patch end"));
  st.Bind(1, run_id).Bind(2, zone).Bind(3, instance_id).Bind(4, failed).Bind(5, kOutsideAnyWave);
  FP_ASSIGN_OR_RETURN(bool ended, st.Step("recording a patch end"));
  if (ended) {
    CountPatchEnd(&rec, static_cast<int>(st.Int(0)), failed);
    st.Reset();
    FP_RETURN_IF_ERROR(SaveRollout(run_id, rec));
  }
  st.Reset();
  FP_ASSIGN_OR_RETURN(WaveCounts open, CountWave(run_id, rec.wave));
  FP_RETURN_IF_ERROR(tx.Commit());
  return StatusOf(rec, open);
}

}  // namespace fleetpatch::state
