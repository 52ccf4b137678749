// PostgresStateStore's methods for several workers on one run: zone leases (row locks taken with
// FOR UPDATE SKIP LOCKED, expiry by the server's clock) and the run-wide rollout (one rollouts row
// per run, locked FOR UPDATE by every change, the rules in rollout_rules.h).
#include <fmt/format.h>

#include "state/postgres_conn.h"
#include "state/postgres_state_store.h"
#include "state/worker_rules.h"

namespace fleetpatch::state {
namespace {

// A timestamptz column as ISO 8601 UTC with milliseconds ("" for NULL), like FormatIso8601Millis.
#define FP_PG_ISO(col) \
  "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')"

// The first free zone (never claimed, released, or expired) of run $1, restricted to the zones $2
// unless NULL. Rows other workers are claiming right now are skipped, not waited for.
constexpr const char* kClaimable =
    "SELECT l.zone, coalesce(l.worker_id, ''), " FP_PG_ISO("l.expires_at") " FROM zone_leases l "
    "JOIN zones z ON z.run_id = l.run_id AND z.name = l.zone "
    "WHERE l.run_id = $1 AND NOT l.done AND (l.worker_id IS NULL OR l.expires_at <= now()) "
    "AND ($2::text[] IS NULL OR l.zone = ANY($2::text[])) "
    "ORDER BY z.seq LIMIT 1 FOR UPDATE OF l SKIP LOCKED";

constexpr const char* kTake =
    "UPDATE zone_leases SET worker_id = $3, expires_at = now() + $4::bigint * interval '1 millisecond', "
    "generation = generation + 1 WHERE run_id = $1 AND zone = $2 RETURNING generation, " FP_PG_ISO(
        "expires_at");

// Renewal and release change the row only while it is still this lease: same worker, same claim.
constexpr const char* kRenew =
    "UPDATE zone_leases SET expires_at = now() + $5::bigint * interval '1 millisecond' "
    "WHERE run_id = $1 AND zone = $2 AND worker_id = $3 AND generation = $4 AND NOT done "
    "RETURNING " FP_PG_ISO("expires_at");

constexpr const char* kRelease =
    "UPDATE zone_leases SET worker_id = NULL, expires_at = NULL, done = $5 "
    "WHERE run_id = $1 AND zone = $2 AND worker_id = $3 AND generation = $4 AND NOT done";

constexpr const char* kListLeases =
    "SELECT z.name, coalesce(l.worker_id, ''), " FP_PG_ISO("l.expires_at") ", coalesce(l.generation, 0), "
    "coalesce(l.done, false) FROM zones z LEFT JOIN zone_leases l ON l.run_id = z.run_id AND l.zone = z.name "
    "WHERE z.run_id = $1 ORDER BY z.seq";

#undef FP_PG_ISO

std::string Bool(bool b) { return b ? "true" : "false"; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Zone leases

Status PostgresStateStore::LostLease(const ZoneLease& lease) {
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec("SELECT coalesce(worker_id, ''), done FROM zone_leases "
                                              "WHERE run_id = $1 AND zone = $2",
                                              {lease.run_id, lease.zone}, "reading a zone lease"));
  return r.rows() == 0 ? LostLeaseError(lease, "", false) : LostLeaseError(lease, r.Text(0, 0), r.Bool(0, 1));
}

Result<std::optional<ZoneLease>> PostgresStateStore::ClaimZone(const std::string& run_id,
                                                               const std::string& worker_id,
                                                               const std::vector<std::string>& only_zones,
                                                               std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(CheckLeaseTtl(ttl));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  // Zones saved since the last claim get their free lease row, outside the claim's transaction.
  FP_RETURN_IF_ERROR(
      conn_->Exec("INSERT INTO zone_leases (run_id, zone) SELECT run_id, name FROM zones "
                  "WHERE run_id = $1 ON CONFLICT DO NOTHING",
                  {run_id}, "claiming a zone"));
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "claiming a zone"));
  FP_ASSIGN_OR_RETURN(PgResult free,
                      conn_->Exec(kClaimable, {run_id, TextArray(only_zones)}, "claiming a zone"));
  if (free.rows() == 0) return std::optional<ZoneLease>();
  ZoneLease lease{run_id, free.Text(0, 0), ValidUtf8(worker_id)};
  lease.taken_from = free.Text(0, 1);
  FP_ASSIGN_OR_RETURN(PgResult took,
                      conn_->Exec(kTake, {run_id, lease.zone, lease.worker_id, std::to_string(ttl.count())},
                                  "claiming a zone"));
  lease.generation = took.Int(0, 0);
  lease.expires_at = took.Text(0, 1);
  if (!lease.taken_from.empty()) {
    FP_RETURN_IF_ERROR(AppendEventLocked(run_id, TakeoverEvent(lease, free.Text(0, 2))));
  }
  FP_RETURN_IF_ERROR(tx.Commit());
  return std::optional<ZoneLease>(std::move(lease));
}

Status PostgresStateStore::RenewZoneLease(ZoneLease* lease, std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(CheckLeaseTtl(ttl));
  FP_ASSIGN_OR_RETURN(PgResult r,
                      conn_->Exec(kRenew,
                                  {lease->run_id, lease->zone, lease->worker_id,
                                   std::to_string(lease->generation), std::to_string(ttl.count())},
                                  "renewing a zone lease"));
  if (r.rows() == 0) return LostLease(*lease);
  lease->expires_at = r.Text(0, 0);
  return OkStatus();
}

Status PostgresStateStore::ReleaseZone(const ZoneLease& lease, bool done) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec(kRelease,
                                              {lease.run_id, lease.zone, lease.worker_id,
                                               std::to_string(lease.generation), Bool(done)},
                                              "releasing a zone lease"));
  if (r.Affected() == 0) return LostLease(lease);
  return OkStatus();
}

Result<std::vector<ZoneLeaseInfo>> PostgresStateStore::ListZoneLeases(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec(kListLeases, {run_id}, "listing zone leases"));
  std::vector<ZoneLeaseInfo> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Int(i, 3), r.Bool(i, 4)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The rollout

Result<RolloutRecord> PostgresStateStore::LoadRollout(const std::string& run_id, bool for_update) {
  FP_ASSIGN_OR_RETURN(
      PgResult r,
      conn_->Exec(for_update ? "SELECT canary_size, wave_size, allowed_failures, canary_must_succeed, "
                               "wave, failures, stop_reason FROM rollouts WHERE run_id = $1 FOR UPDATE"
                             : "SELECT canary_size, wave_size, allowed_failures, canary_must_succeed, "
                               "wave, failures, stop_reason FROM rollouts WHERE run_id = $1",
                  {run_id}, "reading the rollout"));
  if (r.rows() == 0) return Error::NotFound(NoRolloutMessage(run_id, display_));
  RolloutRecord rec;
  rec.policy = {static_cast<int>(r.Int(0, 0)), static_cast<int>(r.Int(0, 1)), r.Int(0, 2), r.Bool(0, 3)};
  rec.wave = static_cast<int>(r.Int(0, 4));
  rec.failures = r.Int(0, 5);
  rec.stop_reason = r.Text(0, 6);
  return rec;
}

Result<WaveCounts> PostgresStateStore::CountWave(const std::string& run_id, int wave) {
  FP_ASSIGN_OR_RETURN(PgResult r,
                      conn_->Exec("SELECT count(*), count(*) FILTER (WHERE ended) FROM rollout_instances "
                                  "WHERE run_id = $1 AND wave = $2",
                                  {run_id, std::to_string(wave)}, "counting a wave"));
  return WaveCounts{r.Int(0, 0), r.Int(0, 1)};
}

Status PostgresStateStore::SaveRollout(const std::string& run_id, const RolloutRecord& rec) {
  FP_RETURN_IF_ERROR(
      conn_->Exec("UPDATE rollouts SET wave = $2, failures = $3, stop_reason = $4 WHERE run_id = $1",
                  {run_id, std::to_string(rec.wave), std::to_string(rec.failures), rec.stop_reason},
                  "updating the rollout"));
  return OkStatus();
}

Result<RolloutStatus> PostgresStateStore::StartRollout(const std::string& run_id,
                                                       const RolloutPolicy& policy) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(CheckRolloutPolicy(policy));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_RETURN_IF_ERROR(
      conn_->Exec("INSERT INTO rollouts (run_id, canary_size, wave_size, allowed_failures, "
                  "canary_must_succeed) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id) DO NOTHING",
                  {run_id, std::to_string(policy.canary_size), std::to_string(policy.wave_size),
                   std::to_string(policy.allowed_failures), Bool(policy.canary_must_succeed)},
                  "starting the rollout"));
  return RolloutStatusLocked(run_id);
}

Result<RolloutStatus> PostgresStateStore::RolloutStatusLocked(const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(RolloutRecord rec, LoadRollout(run_id, false));
  FP_ASSIGN_OR_RETURN(WaveCounts open, CountWave(run_id, rec.wave));
  return StatusOf(rec, open);
}

Result<RolloutStatus> PostgresStateStore::GetRollout(const std::string& run_id) {
  std::lock_guard lock(mu_);
  if (conn_->InTransaction()) return RolloutStatusLocked(run_id);  // inside ReadConsistently's snapshot
  FP_ASSIGN_OR_RETURN(
      PgTransaction tx,
      PgTransaction::Begin(*conn_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "reading the rollout"));
  FP_ASSIGN_OR_RETURN(RolloutStatus status, RolloutStatusLocked(run_id));
  FP_RETURN_IF_ERROR(tx.Commit());
  return status;
}

Result<Admission> PostgresStateStore::AdmitToWave(const std::string& run_id, const std::string& zone,
                                                  const std::string& instance_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "admitting an instance"));
  FP_ASSIGN_OR_RETURN(RolloutRecord rec, LoadRollout(run_id, true));  // serialises the run's admissions
  FP_ASSIGN_OR_RETURN(
      PgResult known,
      conn_->Exec("SELECT wave FROM rollout_instances WHERE run_id = $1 AND zone = $2 "
                  "AND instance_id = $3",
                  {run_id, ValidUtf8(zone), ValidUtf8(instance_id)}, "admitting an instance"));
  if (known.rows() > 0) return AdmittedBefore(rec.policy, static_cast<int>(known.Int(0, 0)));
  FP_ASSIGN_OR_RETURN(WaveCounts open, CountWave(run_id, rec.wave));
  const Admission a = DecideAdmission(&rec, open);
  if (a.decision == AdmitDecision::kAdmitted) {
    FP_RETURN_IF_ERROR(conn_->Exec(
        "INSERT INTO rollout_instances (run_id, zone, instance_id, wave) "
        "VALUES ($1, $2, $3, $4)",
        {run_id, ValidUtf8(zone), ValidUtf8(instance_id), std::to_string(a.wave)}, "admitting an instance"));
  }
  FP_RETURN_IF_ERROR(SaveRollout(run_id, rec));
  FP_RETURN_IF_ERROR(tx.Commit());
  return a;
}

Result<RolloutStatus> PostgresStateStore::RecordPatchEnd(const std::string& run_id, const std::string& zone,
                                                         const std::string& instance_id, bool failed) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "recording a patch end"));
  FP_ASSIGN_OR_RETURN(RolloutRecord rec, LoadRollout(run_id, true));
  const std::vector<PgParam> key = {run_id, ValidUtf8(zone), ValidUtf8(instance_id), Bool(failed),
                                    std::to_string(kOutsideAnyWave)};
  // Inserts the instance outside any wave when it was never admitted; an end already recorded
  // is left as it is (RETURNING then gives no row).
  FP_ASSIGN_OR_RETURN(
      PgResult ended,
      conn_->Exec("INSERT INTO rollout_instances AS r (run_id, zone, instance_id, wave, ended, failed) "
                  "VALUES ($1, $2, $3, $5, true, $4) ON CONFLICT (run_id, zone, instance_id) "
                  "DO UPDATE SET ended = true, failed = excluded.failed WHERE NOT r.ended "
                  "RETURNING r.wave",
                  key, "recording a patch end"));
  if (ended.rows() > 0) {
    CountPatchEnd(&rec, static_cast<int>(ended.Int(0, 0)), failed);
    FP_RETURN_IF_ERROR(SaveRollout(run_id, rec));
  }
  FP_ASSIGN_OR_RETURN(WaveCounts open, CountWave(run_id, rec.wave));
  FP_RETURN_IF_ERROR(tx.Commit());
  return StatusOf(rec, open);
}

}  // namespace fleetpatch::state
