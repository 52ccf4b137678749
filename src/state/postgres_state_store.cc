#include "state/postgres_state_store.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <utility>

#include "common/json_dump.h"
#include "state/phase_columns.h"
#include "state/postgres_conn.h"
#include "state/postgres_schema.h"
#include "state/secrets.h"
#include "state/stored_json.h"

namespace fleetpatch::state {
namespace {

std::string Bool(bool b) { return b ? "true" : "false"; }

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string RandomToken() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

constexpr const char* kRunColumns =
    "SELECT run_id, created_at, updated_at, run_user, host, workflow, dry_run, status, config_json, "
    "phases_completed_json FROM runs ";

// Shared by the whole query and the pages; optional filters are NULL-bound so the SQL text is
// constant. $8 is the page's seq floor, $9 its size (NULL: no limit).
constexpr const char* kInstanceQuery =
    "SELECT zone, instance_id, account_id, region, name, platform, platform_name, state, "
    "availability_zone, instance_type, CASE WHEN $7::boolean THEN tags_json ELSE '{}' END, ssm_ping_status, "
    "ssm_agent_version, in_auto_scaling_group, eligible, ineligible_reason, backup_json, precheck_json, "
    "patch_json, seq, standby_json, postcheck_json, rollback_json FROM instances WHERE run_id = $1 AND seq > "
    "$8 "
    "AND ($2::text IS NULL OR zone = $2) AND ($3::boolean IS NULL OR eligible = $3) "
    "AND ($4::text[] IS NULL OR coalesce(backup_status, $10) = ANY($4::text[])) "
    "AND ($5::text[] IS NULL OR coalesce(precheck_status, $10) = ANY($5::text[])) "
    "AND ($6::text[] IS NULL OR coalesce(patch_status, $10) = ANY($6::text[])) "
    "ORDER BY seq LIMIT $9";

}  // namespace

// ---------------------------------------------------------------------------------------------
// RunLock: a session-level advisory lock on a connection of its own, plus the run_locks row.

class PostgresRunLock final : public RunLock {
 public:
  PostgresRunLock(PostgresStateStore* store, std::unique_ptr<PgConn> session, std::string run_id,
                  std::string token)
      : store_(store), session_(std::move(session)), run_id_(std::move(run_id)), token_(std::move(token)) {}
  ~PostgresRunLock() override { (void)Release(); }
  const std::string& run_id() const override { return run_id_; }
  Status Release() override {
    if (!session_) return OkStatus();
    Status s = store_->ReleaseLock(run_id_, token_);
    session_.reset();  // ending the session releases the advisory lock, even if the row stayed
    return s;
  }

 private:
  PostgresStateStore* store_;
  std::unique_ptr<PgConn> session_;
  std::string run_id_;
  std::string token_;
};

// ---------------------------------------------------------------------------------------------
// Opening and helpers

PostgresStateStore::PostgresStateStore(std::unique_ptr<PgConn> conn, std::string url, const Clock& clock,
                                       bool read_only)
    : conn_(std::move(conn)), url_(std::move(url)), clock_(clock), read_only_(read_only) {
  display_ = conn_->display();
}

PostgresStateStore::~PostgresStateStore() = default;

Result<std::unique_ptr<PostgresStateStore>> PostgresStateStore::Open(
    const std::string& url, const Clock& clock, const PostgresStateStoreOptions& options) {
  FP_ASSIGN_OR_RETURN(std::unique_ptr<PgConn> conn, PgConn::Connect(url));
  if (options.read_only) {
    FP_RETURN_IF_ERROR(conn->ExecScript("SET default_transaction_read_only = on", "opening read-only"));
    FP_RETURN_IF_ERROR(CheckPostgresSchema(*conn));
  } else {
    FP_RETURN_IF_ERROR(MigratePostgres(*conn));
  }
  return std::unique_ptr<PostgresStateStore>(
      new PostgresStateStore(std::move(conn), url, clock, options.read_only));
}

std::string PostgresStateStore::NowIso() const { return FormatIso8601(clock_.Now()); }

std::string PostgresStateStore::NotFound(const std::string& run_id) const {
  return fmt::format("run {} is not in the state store {} (list runs with `fleetpatch runs`)", run_id,
                     display_);
}

Status PostgresStateStore::RequireWritable() const {
  if (read_only_) {
    return Error::Config("state store " + display_ + " was opened read-only; this command cannot change it");
  }
  if (in_read_tx_) return Error::Internal("a write inside a read-only snapshot (ReadConsistently/ForEach*)");
  return OkStatus();
}

Status PostgresStateStore::RequireRun(const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(PgResult r,
                      conn_->Exec("SELECT 1 FROM runs WHERE run_id = $1", {run_id}, "looking up a run"));
  if (r.rows() == 0) return Error::NotFound(NotFound(run_id));
  return OkStatus();
}

Status PostgresStateStore::TouchRun(const std::string& run_id, const std::string& now) {
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec("UPDATE runs SET updated_at = $1 WHERE run_id = $2",
                                              {now, run_id}, "updating a run"));
  if (r.Affected() == 0) return Error::NotFound(NotFound(run_id));
  return OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Runs

Status PostgresStateStore::CreateRun(const RunInfo& run) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  if (run.run_id.empty()) return Error::Internal("CreateRun needs a run id (state::NewRunId)");
  const std::string now = NowIso();
  const nlohmann::json safe_config =
      RedactSecrets(run.config.is_null() ? nlohmann::json::object() : run.config);
  FP_ASSIGN_OR_RETURN(
      PgResult r,
      conn_->Exec(
          "INSERT INTO runs (run_id, created_at, updated_at, run_user, host, workflow, dry_run, status, "
          "config_json, phases_completed_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
          "ON CONFLICT (run_id) DO NOTHING",
          {ValidUtf8(run.run_id), run.created_at.empty() ? now : run.created_at,
           run.updated_at.empty() ? now : run.updated_at, ValidUtf8(run.user), ValidUtf8(run.host),
           ValidUtf8(run.workflow), Bool(run.dry_run), std::string(RunStatusName(run.status)),
           DumpJson(safe_config), DumpJson(nlohmann::json(run.phases_completed))},
          "creating a run"));
  if (r.Affected() == 0) {
    return Error::Validation(
        fmt::format("run {} already exists in the state store {}", run.run_id, display_));
  }
  return OkStatus();
}

Status PostgresStateStore::UpdateRunStatus(const std::string& run_id, RunStatus status) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(
      PgResult r,
      conn_->Exec("UPDATE runs SET status = $1, updated_at = $2 WHERE run_id = $3",
                  {std::string(RunStatusName(status)), NowIso(), run_id}, "updating a run's status"));
  if (r.Affected() == 0) return Error::NotFound(NotFound(run_id));
  return OkStatus();
}

Status PostgresStateStore::MarkPhaseCompleted(const std::string& run_id, Phase phase) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "recording a completed phase"));
  // FOR UPDATE: two workers completing phases at once each see the other's entry.
  FP_ASSIGN_OR_RETURN(PgResult get,
                      conn_->Exec("SELECT phases_completed_json FROM runs WHERE run_id = $1 FOR UPDATE",
                                  {run_id}, "recording a completed phase"));
  if (get.rows() == 0) return Error::NotFound(NotFound(run_id));
  FP_ASSIGN_OR_RETURN(
      std::vector<std::string> phases,
      DecodeStored<std::vector<std::string>>(get.Text(0, 0), "the phases of run " + run_id, display_));
  const std::string name = PhaseName(phase);
  if (std::find(phases.begin(), phases.end(), name) == phases.end()) phases.push_back(name);
  FP_RETURN_IF_ERROR(
      conn_->Exec("UPDATE runs SET phases_completed_json = $1, updated_at = $2 WHERE run_id = $3",
                  {DumpJson(nlohmann::json(phases)), NowIso(), run_id}, "recording a completed phase"));
  return tx.Commit();
}

Result<std::vector<RunInfo>> PostgresStateStore::ReadRuns(const char* sql, const std::string& bind) {
  std::vector<PgParam> params;
  if (!bind.empty()) params.push_back(bind);
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec(sql, params, "reading runs"));
  std::vector<RunInfo> runs;
  for (int i = 0; i < r.rows(); ++i) {
    RunInfo run;
    run.run_id = r.Text(i, 0);
    run.created_at = r.Text(i, 1);
    run.updated_at = r.Text(i, 2);
    run.user = r.Text(i, 3);
    run.host = r.Text(i, 4);
    run.workflow = r.Text(i, 5);
    run.dry_run = r.Bool(i, 6);
    if (!ParseRunStatus(r.Text(i, 7), &run.status)) {
      return Error::Internal(fmt::format("state store {}: run {} has an unknown status '{}'", display_,
                                         run.run_id, r.Text(i, 7)));
    }
    FP_ASSIGN_OR_RETURN(
        run.config, DecodeStored<nlohmann::json>(r.Text(i, 8), "the config of run " + run.run_id, display_));
    FP_ASSIGN_OR_RETURN(run.phases_completed, DecodeStored<std::vector<std::string>>(
                                                  r.Text(i, 9), "the phases of run " + run.run_id, display_));
    runs.push_back(std::move(run));
  }
  return runs;
}

Result<RunInfo> PostgresStateStore::GetRun(const std::string& run_id) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(kRunColumns) + "WHERE run_id = $1";
  FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, ReadRuns(sql.c_str(), run_id));
  if (runs.empty()) return Error::NotFound(NotFound(run_id));
  return std::move(runs.front());
}

Result<RunInfo> PostgresStateStore::LatestRun() {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(kRunColumns) + "ORDER BY seq DESC LIMIT 1";
  FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, ReadRuns(sql.c_str(), ""));
  if (runs.empty()) {
    return Error::NotFound(fmt::format("the state store {} holds no runs yet: run a scan first", display_));
  }
  return std::move(runs.front());
}

Result<std::vector<RunInfo>> PostgresStateStore::ListRuns(int limit) {
  std::lock_guard lock(mu_);
  const std::string sql =
      std::string(kRunColumns) + "ORDER BY seq DESC" +
      (limit > 0 ? " LIMIT " + std::to_string(limit) : std::string());  // an int, not input
  return ReadRuns(sql.c_str(), "");
}

// ---------------------------------------------------------------------------------------------
// Zones and instances

Status PostgresStateStore::SaveZones(const std::string& run_id, const std::vector<LandingZoneInfo>& zones) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "saving landing zones"));
  FP_RETURN_IF_ERROR(TouchRun(run_id, NowIso()));
  for (const auto& z : zones) {
    if (z.name.empty()) return Error::Internal("SaveZones: a landing zone without a name");
    FP_RETURN_IF_ERROR(
        conn_->Exec("INSERT INTO zones (run_id, name, zone_json, has_error) VALUES ($1, $2, $3, $4) "
                    "ON CONFLICT (run_id, name) DO UPDATE SET zone_json = excluded.zone_json, "
                    "has_error = excluded.has_error",
                    {run_id, ValidUtf8(z.name), DumpJson(nlohmann::json(z)), Bool(!z.error.empty())},
                    "saving landing zones"));
  }
  return tx.Commit();
}

Result<std::vector<LandingZoneInfo>> PostgresStateStore::LoadZonesLocked(const std::string& run_id) {
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(
      PgResult r, conn_->Exec("SELECT name, zone_json FROM zones WHERE run_id = $1 ORDER BY seq", {run_id},
                              "loading landing zones"));
  std::vector<LandingZoneInfo> zones;
  for (int i = 0; i < r.rows(); ++i) {
    FP_ASSIGN_OR_RETURN(LandingZoneInfo z, DecodeStored<LandingZoneInfo>(
                                               r.Text(i, 1), "landing zone " + r.Text(i, 0), display_));
    zones.push_back(std::move(z));
  }
  return zones;
}

Result<std::vector<LandingZoneInfo>> PostgresStateStore::LoadZones(const std::string& run_id) {
  std::lock_guard lock(mu_);
  return LoadZonesLocked(run_id);
}

Status PostgresStateStore::SaveInstances(const std::string& run_id,
                                         const std::vector<InstanceInfo>& instances) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  const std::string now = NowIso();
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "saving instances"));
  FP_RETURN_IF_ERROR(TouchRun(run_id, now));
  constexpr const char* kSql =
      "INSERT INTO instances (run_id, updated_at, zone, instance_id, account_id, region, name, platform, "
      "platform_name, state, availability_zone, instance_type, tags_json, ssm_ping_status, "
      "ssm_agent_version, "
      "in_auto_scaling_group, eligible, ineligible_reason) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) "
      "ON CONFLICT (run_id, zone, instance_id) DO UPDATE SET updated_at = excluded.updated_at, "
      "account_id = excluded.account_id, region = excluded.region, name = excluded.name, "
      "platform = excluded.platform, platform_name = excluded.platform_name, state = excluded.state, "
      "availability_zone = excluded.availability_zone, instance_type = excluded.instance_type, "
      "tags_json = excluded.tags_json, ssm_ping_status = excluded.ssm_ping_status, "
      "ssm_agent_version = excluded.ssm_agent_version, in_auto_scaling_group = "
      "excluded.in_auto_scaling_group, "
      "eligible = excluded.eligible, ineligible_reason = excluded.ineligible_reason";
  for (const auto& i : instances) {
    if (i.instance_id.empty() || i.zone.empty()) {
      return Error::Internal("SaveInstances: an instance without an id or a landing zone");
    }
    FP_RETURN_IF_ERROR(conn_->Exec(
        kSql,
        {run_id, now, ValidUtf8(i.zone), ValidUtf8(i.instance_id), ValidUtf8(i.account_id),
         ValidUtf8(i.region), ValidUtf8(i.name), ValidUtf8(i.platform), ValidUtf8(i.platform_name),
         ValidUtf8(i.state), ValidUtf8(i.availability_zone), ValidUtf8(i.instance_type),
         i.tags.empty() ? std::string("{}") : DumpJson(nlohmann::json(i.tags)), ValidUtf8(i.ssm_ping_status),
         ValidUtf8(i.ssm_agent_version), Bool(i.in_auto_scaling_group), Bool(i.eligible),
         ValidUtf8(i.ineligible_reason)},
        "saving instances"));
  }
  return tx.Commit();
}

Result<std::vector<InstanceInfo>> PostgresStateStore::LoadInstances(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  int64_t last = 0;
  FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> rows, QueryPage(run_id, InstanceQuery{}, 0, -1, &last));
  std::vector<InstanceInfo> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.info));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phase results

template <class R>
Status PostgresStateStore::SaveResults(const std::string& run_id,
                                       const std::vector<InstanceResult<R>>& results) {
  const char* what = PhaseColumnsOf<R>::value.what;
  static const std::string sql = UpdatePhaseResultSql(PhaseColumnsOf<R>::value, '$');
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  const std::string now = NowIso();
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", what));
  FP_RETURN_IF_ERROR(TouchRun(run_id, now));
  for (const auto& r : results) {
    EncodedResult e = EncodeResult(r.result);
    FP_ASSIGN_OR_RETURN(PgResult w, conn_->Exec(sql.c_str(),
                                                {std::move(e.status), std::move(e.json), now, run_id,
                                                 ValidUtf8(r.zone), ValidUtf8(r.instance_id)},
                                                what));
    if (w.Affected() == 0) {
      // The whole batch rolls back, as in the SQLite store.
      return Error::NotFound(
          fmt::format("{}: instance {} in landing zone {} is not part of run {} (scan saves it "
                      "first)",
                      what, r.instance_id, r.zone, run_id));
    }
  }
  return tx.Commit();
}

Status PostgresStateStore::SaveBackups(const std::string& run_id, const std::vector<BackupUpdate>& results) {
  return SaveResults(run_id, results);
}

Status PostgresStateStore::SavePrechecks(const std::string& run_id,
                                         const std::vector<PrecheckUpdate>& results) {
  return SaveResults(run_id, results);
}

Status PostgresStateStore::SavePatches(const std::string& run_id, const std::vector<PatchUpdate>& results) {
  return SaveResults(run_id, results);
}

Status PostgresStateStore::SaveStandbys(const std::string& run_id,
                                        const std::vector<StandbyUpdate>& results) {
  return SaveResults(run_id, results);
}

Status PostgresStateStore::SavePostchecks(const std::string& run_id,
                                          const std::vector<PostcheckUpdate>& results) {
  return SaveResults(run_id, results);
}

Status PostgresStateStore::SaveRollbacks(const std::string& run_id,
                                         const std::vector<RollbackUpdate>& results) {
  return SaveResults(run_id, results);
}

// ---------------------------------------------------------------------------------------------
// Reading

Result<std::vector<InstanceRun>> PostgresStateStore::QueryPage(const std::string& run_id,
                                                               const InstanceQuery& q, int64_t after,
                                                               int64_t limit, int64_t* last_seq) {
  std::vector<PgParam> params = {run_id,
                                 q.zone.empty() ? PgParam() : PgParam(ValidUtf8(q.zone)),
                                 q.eligible ? PgParam(Bool(*q.eligible)) : PgParam(),
                                 TextArray(q.backup_status),
                                 TextArray(q.precheck_status),
                                 TextArray(q.patch_status),
                                 Bool(q.details),
                                 std::to_string(after),
                                 limit < 0 ? PgParam() : PgParam(std::to_string(limit)),
                                 std::string(kNoResult)};
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec(kInstanceQuery, params, "loading instances"));
  std::vector<InstanceRun> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int row = 0; row < r.rows(); ++row) {
    InstanceRun ir;
    InstanceInfo& i = ir.info;
    i.zone = r.Text(row, 0);
    i.instance_id = r.Text(row, 1);
    i.account_id = r.Text(row, 2);
    i.region = r.Text(row, 3);
    i.name = r.Text(row, 4);
    i.platform = r.Text(row, 5);
    i.platform_name = r.Text(row, 6);
    i.state = r.Text(row, 7);
    i.availability_zone = r.Text(row, 8);
    i.instance_type = r.Text(row, 9);
    i.ssm_ping_status = r.Text(row, 11);
    i.ssm_agent_version = r.Text(row, 12);
    i.in_auto_scaling_group = r.Bool(row, 13);
    i.eligible = r.Bool(row, 14);
    i.ineligible_reason = r.Text(row, 15);
    const std::string label = "instance " + i.instance_id + " in " + i.zone;
    if (const std::string tags = r.Text(row, 10); tags != "{}") {
      FP_ASSIGN_OR_RETURN(
          i.tags, (DecodeStored<std::map<std::string, std::string>>(tags, "the tags of " + label, display_)));
    }
    if (!r.IsNull(row, 16)) {
      FP_ASSIGN_OR_RETURN(ir.backup,
                          DecodeStored<BackupResult>(r.Text(row, 16), "the backup of " + label, display_));
    }
    if (!r.IsNull(row, 17)) {
      FP_ASSIGN_OR_RETURN(
          ir.precheck, DecodeStored<PrecheckResult>(r.Text(row, 17), "the precheck of " + label, display_));
      if (!q.details) {  // the workflow's view, as the SQLite store gives it
        ir.precheck->output.clear();
        ir.precheck->findings.clear();
      }
    }
    if (!r.IsNull(row, 18)) {
      FP_ASSIGN_OR_RETURN(ir.patch,
                          DecodeStored<PatchResult>(r.Text(row, 18), "the patch of " + label, display_));
    }
    *last_seq = r.Int(row, 19);
    if (!r.IsNull(row, 20)) {
      FP_ASSIGN_OR_RETURN(ir.standby,
                          DecodeStored<StandbyResult>(r.Text(row, 20), "the standby of " + label, display_));
    }
    if (!r.IsNull(row, 21)) {
      FP_ASSIGN_OR_RETURN(ir.postcheck, DecodeStored<PostcheckResult>(r.Text(row, 21),
                                                                      "the postcheck of " + label, display_));
    }
    if (!r.IsNull(row, 22)) {
      FP_ASSIGN_OR_RETURN(
          ir.rollback, DecodeStored<RollbackResult>(r.Text(row, 22), "the rollback of " + label, display_));
    }
    out.push_back(std::move(ir));
  }
  return out;
}

Result<std::vector<InstanceRun>> PostgresStateStore::QueryInstances(const std::string& run_id,
                                                                    const InstanceQuery& query) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  int64_t last = 0;
  return QueryPage(run_id, query, 0, -1, &last);
}

Result<std::map<std::string, int64_t>> PostgresStateStore::CountByStatus(const std::string& run_id,
                                                                         Phase phase) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  const char* column = "CASE WHEN eligible THEN 'eligible' ELSE 'ineligible' END";
  switch (phase) {
    case Phase::kScan:
      break;
    case Phase::kBackup:
      column = "coalesce(backup_status, $2)";
      break;
    case Phase::kPrecheck:
      column = "coalesce(precheck_status, $2)";
      break;
    case Phase::kPatch:
      column = "coalesce(patch_status, $2)";
      break;
  }
  // `column` is one of the constants above, never input.
  const std::string sql =
      fmt::format("SELECT {}, count(*) FROM instances WHERE run_id = $1 GROUP BY 1", column);
  std::vector<PgParam> params = {run_id};
  if (phase != Phase::kScan) params.push_back(std::string(kNoResult));
  FP_ASSIGN_OR_RETURN(PgResult r, conn_->Exec(sql.c_str(), params, "counting results"));
  std::map<std::string, int64_t> counts;
  for (int i = 0; i < r.rows(); ++i) counts[r.Text(i, 0)] = r.Int(i, 1);
  return counts;
}

template <class Fn>
auto PostgresStateStore::InReadTransaction(const char* what, Fn&& fn) -> decltype(fn()) {
  // A transaction already open on this connection can (under mu_) only be this thread's: join it.
  if (conn_->InTransaction()) return fn();
  FP_ASSIGN_OR_RETURN(PgTransaction tx,
                      PgTransaction::Begin(*conn_, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", what));
  in_read_tx_ = true;
  auto result = fn();
  in_read_tx_ = false;
  (void)tx.Commit();  // read-only: nothing to keep or lose
  return result;
}

Result<RunSnapshot> PostgresStateStore::LoadSnapshot(const std::string& run_id) {
  std::lock_guard lock(mu_);
  return InReadTransaction("loading a run", [&]() -> Result<RunSnapshot> {
    RunSnapshot snap;
    static const std::string sql = std::string(kRunColumns) + "WHERE run_id = $1";
    FP_ASSIGN_OR_RETURN(std::vector<RunInfo> runs, ReadRuns(sql.c_str(), run_id));
    if (runs.empty()) return Error::NotFound(NotFound(run_id));
    snap.run = std::move(runs.front());
    FP_ASSIGN_OR_RETURN(snap.zones, LoadZonesLocked(run_id));
    int64_t last = 0;
    FP_ASSIGN_OR_RETURN(snap.instances, QueryPage(run_id, InstanceQuery{}, 0, -1, &last));
    FP_ASSIGN_OR_RETURN(snap.events, LoadEventsLocked(run_id, 0, -1));
    return snap;
  });
}

Status PostgresStateStore::ForEachInstance(const std::string& run_id, const InstanceQuery& query,
                                           size_t batch_size,
                                           const std::function<Status(std::vector<InstanceRun>&&)>& fn) {
  std::lock_guard lock(mu_);
  if (batch_size == 0) return Error::Internal("ForEachInstance needs a batch size of at least 1");
  // One snapshot for the whole visit; each batch is a bounded keyset page after the last seq seen.
  return InReadTransaction("loading instances", [&]() -> Status {
    FP_RETURN_IF_ERROR(RequireRun(run_id));
    int64_t after = 0;
    for (;;) {
      int64_t last = after;
      FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> batch,
                          QueryPage(run_id, query, after, static_cast<int64_t>(batch_size), &last));
      if (batch.empty()) return OkStatus();
      const bool full = batch.size() == batch_size;
      FP_RETURN_IF_ERROR(fn(std::move(batch)));
      if (!full) return OkStatus();
      after = last;
    }
  });
}

Status PostgresStateStore::ForEachEvent(const std::string& run_id, size_t batch_size,
                                        const std::function<Status(std::vector<Event>&&)>& fn) {
  std::lock_guard lock(mu_);
  if (batch_size == 0) return Error::Internal("ForEachEvent needs a batch size of at least 1");
  return InReadTransaction("loading events", [&]() -> Status {
    FP_RETURN_IF_ERROR(RequireRun(run_id));
    int64_t after = 0;
    for (;;) {
      FP_ASSIGN_OR_RETURN(std::vector<Event> batch,
                          LoadEventsLocked(run_id, after, static_cast<int64_t>(batch_size)));
      if (batch.empty()) return OkStatus();
      const bool full = batch.size() == batch_size;
      after = batch.back().seq;
      FP_RETURN_IF_ERROR(fn(std::move(batch)));
      if (!full) return OkStatus();
    }
  });
}

Status PostgresStateStore::ReadConsistently(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return InReadTransaction("reading a run", fn);
}

// ---------------------------------------------------------------------------------------------
// Events

Result<int64_t> PostgresStateStore::AppendEventLocked(const std::string& run_id, const Event& e) {
  FP_ASSIGN_OR_RETURN(
      PgResult r, conn_->Exec("INSERT INTO events (run_id, time, level, zone, instance_id, phase, message) "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq",
                              {run_id, e.time.empty() ? NowIso() : ValidUtf8(e.time),
                               e.level.empty() ? std::string("info") : ValidUtf8(e.level), ValidUtf8(e.zone),
                               ValidUtf8(e.instance_id), ValidUtf8(e.phase), ValidUtf8(e.message)},
                              "appending an event"));
  return r.Int(0, 0);
}

Result<int64_t> PostgresStateStore::AppendEvent(const std::string& run_id, const Event& event) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "appending an event"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(int64_t seq, AppendEventLocked(run_id, event));
  FP_RETURN_IF_ERROR(tx.Commit());
  return seq;
}

Status PostgresStateStore::AppendEvents(const std::string& run_id, const std::vector<Event>& events) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "appending events"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  for (const auto& e : events) FP_RETURN_IF_ERROR(AppendEventLocked(run_id, e));
  return tx.Commit();
}

Result<std::vector<Event>> PostgresStateStore::LoadEventsLocked(const std::string& run_id, int64_t after_seq,
                                                                int64_t limit) {
  FP_ASSIGN_OR_RETURN(
      PgResult r,
      conn_->Exec("SELECT seq, time, level, zone, instance_id, phase, message FROM events "
                  "WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                  {run_id, std::to_string(after_seq), limit < 0 ? PgParam() : std::to_string(limit)},
                  "loading events"));
  std::vector<Event> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    Event e;
    e.seq = r.Int(i, 0);
    e.time = r.Text(i, 1);
    e.level = r.Text(i, 2);
    e.zone = r.Text(i, 3);
    e.instance_id = r.Text(i, 4);
    e.phase = r.Text(i, 5);
    e.message = r.Text(i, 6);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Event>> PostgresStateStore::LoadEvents(const std::string& run_id, int64_t after_seq) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  return LoadEventsLocked(run_id, after_seq, -1);
}

// ---------------------------------------------------------------------------------------------
// Locking

namespace {

// The run's advisory lock key: a 64-bit hash of the run id in the namespace of fleetpatch run locks.
constexpr const char* kLockKey = "hashtextextended('fleetpatch-run:' || $1, 0)";

}  // namespace

Result<std::unique_ptr<RunLock>> PostgresStateStore::AcquireRunLock(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  // The lock lives in a session of its own: the server drops it when this process goes away.
  FP_ASSIGN_OR_RETURN(std::unique_ptr<PgConn> session, PgConn::Connect(url_));
  (void)session->ExecScript("SET idle_session_timeout = 0", "keeping the lock session");  // PostgreSQL >= 14
  FP_ASSIGN_OR_RETURN(
      PgResult got, session->Exec(fmt::format("SELECT pg_try_advisory_lock({})", kLockKey).c_str(), {run_id},
                                  "locking a run"));
  if (!got.Bool(0, 0)) {
    FP_ASSIGN_OR_RETURN(std::optional<LockHolder> holder, GetRunLockHolder(run_id));
    const std::string who =
        holder ? fmt::format("process {} on host {} since {}", holder->pid, holder->host, holder->since)
               : std::string("another process");
    return Error::Validation(
        fmt::format("run {} is in use by {}; wait for it to finish or stop it, then try again (the lock is "
                    "released as soon "
                    "as that process ends or loses its connection to the database)",
                    run_id, who));
  }
  const std::string token = RandomToken();
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(*conn_, "BEGIN", "locking a run"));
  FP_ASSIGN_OR_RETURN(PgResult old,
                      conn_->Exec("SELECT pid, host, since FROM run_locks WHERE run_id = $1 FOR UPDATE",
                                  {run_id}, "locking a run"));
  if (old.rows() > 0) {
    // The row of a holder whose session is gone: say so in the journal.
    Event e;
    e.level = "warning";
    e.message = fmt::format(
        "took over the lock of process {} on host {} (held since {}), whose database "
        "session has ended",
        old.Text(0, 0), old.Text(0, 1), old.Text(0, 2));
    FP_RETURN_IF_ERROR(AppendEventLocked(run_id, e));
  }
  FP_RETURN_IF_ERROR(conn_->Exec(
      "INSERT INTO run_locks (run_id, pid, host, token, since, backend_pid) VALUES ($1, $2, $3, $4, $5, $6) "
      "ON CONFLICT (run_id) DO UPDATE SET pid = excluded.pid, host = excluded.host, token = excluded.token, "
      "since = excluded.since, backend_pid = excluded.backend_pid",
      {run_id, std::to_string(::getpid()), ValidUtf8(HostName()), token, NowIso(),
       std::to_string(session->BackendPid())},
      "locking a run"));
  FP_RETURN_IF_ERROR(tx.Commit());
  return std::unique_ptr<RunLock>(new PostgresRunLock(this, std::move(session), run_id, token));
}

Status PostgresStateStore::ReleaseLock(const std::string& run_id, const std::string& token) {
  std::lock_guard lock(mu_);
  if (in_read_tx_) return OkStatus();  // the row stays; the ended session frees the lock itself
  FP_RETURN_IF_ERROR(conn_->Exec("DELETE FROM run_locks WHERE run_id = $1 AND token = $2", {run_id, token},
                                 "releasing a run lock"));
  return OkStatus();
}

Result<std::optional<LockHolder>> PostgresStateStore::GetRunLockHolder(const std::string& run_id) {
  std::lock_guard lock(mu_);
  // A row counts only while the session it names still holds an advisory lock.
  FP_ASSIGN_OR_RETURN(PgResult r,
                      conn_->Exec("SELECT l.pid, l.host, l.since FROM run_locks l WHERE l.run_id = $1 "
                                  "AND EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' "
                                  "AND k.granted AND k.pid = l.backend_pid)",
                                  {run_id}, "reading a run lock"));
  if (r.rows() == 0) return std::optional<LockHolder>();
  return std::optional<LockHolder>(LockHolder{r.Int(0, 0), r.Text(0, 1), r.Text(0, 2)});
}

Status PostgresStateStore::BreakRunLock(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  // Ends the holder's lock session when this role may (its own sessions, or pg_signal_backend),
  // then removes the row.
  (void)conn_->Exec("SELECT pg_terminate_backend(backend_pid) FROM run_locks WHERE run_id = $1", {run_id},
                    "breaking a run lock");
  FP_RETURN_IF_ERROR(conn_->Exec("DELETE FROM run_locks WHERE run_id = $1", {run_id}, "breaking a run lock"));
  return OkStatus();
}

}  // namespace fleetpatch::state
