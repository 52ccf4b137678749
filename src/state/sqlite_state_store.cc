#include "state/sqlite_state_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <utility>

#include "common/json_dump.h"
#include "state/phase_columns.h"
#include "state/schema.h"
#include "state/secrets.h"
#include "state/sqlite_util.h"
#include "state/store_env.h"
#include "state/stored_json.h"

namespace fleetpatch::state {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDirMode = 0700;
constexpr uint32_t kFileMode = 0600;

bool IsMemoryPath(const std::string& path) { return path == ":memory:" || path.empty(); }

// Creates the missing directories above `path` with 0700 (only those it creates: an existing
// directory such as /tmp is never changed).
Status CreateParentDirs(StoreEnv& env, const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) return OkStatus();
  std::vector<fs::path> missing;
  for (fs::path p = parent; !p.empty(); p = p.parent_path()) {
    if (env.Exists(p.string())) break;
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (Status st = env.CreateDir(it->string(), kDirMode); !st.ok()) {
      return Error::Config(fmt::format("cannot create directory {} for the state store: {}; check --state",
                                       it->string(), st.error().message));
    }
  }
  return OkStatus();
}

// Refuses a store whose directory others can write: they could swap the database (or plant a
// symlink or a file of their own where it will be created) between two runs.
Status CheckParentDirectory(StoreEnv& env, const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  std::optional<uint32_t> mode = env.Mode(parent.string());
  if (!mode) return OkStatus();  // missing: created 0700 (or reported) later
  if ((*mode & 022) != 0) {      // group- or world-writable
    return Error::Config(fmt::format(
        "state store {}: its directory {} is group- or world-writable (mode {:04o}), so another user could "
        "replace the database; use a directory only you can write (chmod go-w {}, or --state elsewhere)",
        path, parent.string(), *mode, parent.string()));
  }
  return OkStatus();
}

// Creates the database file with 0600 before SQLite sees it. SQLite creates the -wal and -shm files
// with the database file's permissions, so they are owner-only too.
Status CreateFileOwnerOnly(StoreEnv& env, const std::string& path) {
  Result<bool> created = env.CreateNewFile(path, kFileMode);
  if (created.ok()) return OkStatus();
  return Error::Config(fmt::format("cannot create state store {}: {}; check --state and permissions", path,
                                   created.error().message));
}

// Tightens the store's files to 0600 when this user owns them (a store copied with a loose umask,
// or -wal/-shm files from an older run).
void TightenPermissions(StoreEnv& env, const std::string& path) {
  for (const std::string& p : {path, path + "-wal", path + "-shm"}) env.RestrictMode(p, kFileMode);
}

// True when the process that took a lock on this host no longer exists.
bool HolderIsGone(StoreEnv& env, int64_t pid, const std::string& pid_start) {
  if (!env.ProcessExists(pid)) return true;
  // Alive (or another user's). It may be a different process that reused the pid.
  if (!pid_start.empty()) {
    const std::string now_start = env.ProcessStartTime(pid);
    if (!now_start.empty() && now_start != pid_start) return true;
  }
  return false;
}

std::string RandomToken() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

// Decode and DropDefaults: the stored JSON forms shared with the PostgreSQL store (stored_json.h).
template <class T>
Result<T> Decode(const std::string& text, const std::string& what, const std::string& path) {
  return DecodeStored<T>(text, what, path);
}

std::string StatusArray(const std::vector<std::string>& statuses) { return nlohmann::json(statuses).dump(); }

constexpr const char* kRunColumns =
    "SELECT run_id, created_at, updated_at, user, host, workflow, dry_run, status, config_json, "
    "phases_completed_json FROM runs ";

}  // namespace

// ---------------------------------------------------------------------------------------------
// RunLock

class SqliteRunLock final : public RunLock {
 public:
  SqliteRunLock(SqliteStateStore* store, std::string run_id, std::string token)
      : store_(store), run_id_(std::move(run_id)), token_(std::move(token)) {}
  ~SqliteRunLock() override {
    if (held_) (void)Release();
  }
  const std::string& run_id() const override { return run_id_; }
  Status Release() override {
    if (!held_) return OkStatus();
    held_ = false;
    return store_->ReleaseLock(run_id_, token_);
  }

 private:
  SqliteStateStore* store_;
  std::string run_id_;
  std::string token_;
  bool held_ = true;
};

// ---------------------------------------------------------------------------------------------
// Opening

SqliteStateStore::SqliteStateStore(std::unique_ptr<Db> db, std::string path, const Clock& clock,
                                   StoreEnv& env, bool read_only)
    : db_(std::move(db)), path_(std::move(path)), clock_(clock), env_(env), read_only_(read_only) {}

SqliteStateStore::~SqliteStateStore() = default;

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::Open(const std::string& path, const Clock& clock,
                                                                 const SqliteStateStoreOptions& options) {
  const bool memory = IsMemoryPath(path);
  StoreEnv& env = options.env != nullptr ? *options.env : DefaultStoreEnv();
  const std::string db_path = memory ? ":memory:" : path;
  // One connection, serialised by SqliteStateStore::mu_; a symlink in place of the database is
  // refused (it could point fleetpatch at another file to create or overwrite).
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW;
  if (!memory) FP_RETURN_IF_ERROR(CheckParentDirectory(env, path));
  if (options.read_only) {
    if (memory) return Error::Config("a read-only state store needs a file path, not :memory:");
    if (!env.Exists(path)) {
      return Error::NotFound(fmt::format(
          "no state store at {}: no run has been recorded there yet (run a scan first, or pass --state)",
          path));
    }
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (!memory) {
      FP_RETURN_IF_ERROR(CreateParentDirs(env, path));
      FP_RETURN_IF_ERROR(CreateFileOwnerOnly(env, path));
    }
  }

  FP_ASSIGN_OR_RETURN(std::unique_ptr<Db> db, Db::Open(db_path, flags));
  sqlite3_busy_timeout(db->raw(), static_cast<int>(options.busy_timeout.count()));
  // Before any change to the file: someone else's database, or a newer fleetpatch's, stays as it is.
  FP_RETURN_IF_ERROR(CheckCompatible(*db));
  if (!options.read_only) {
    if (!memory) {
      // Must precede any transaction. The result row says which mode is in effect.
      FP_ASSIGN_OR_RETURN(std::string mode, db->QueryText("PRAGMA journal_mode=WAL", "enabling WAL mode"));
      if (mode != "wal") {
        return Error::Config(fmt::format(
            "state store {}: the file system does not support SQLite's WAL mode (journal mode is '{}'); put "
            "--state on a local disk",
            path, mode));
      }
    }
    FP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL", "setting synchronous mode"));
  }
  FP_RETURN_IF_ERROR(db->Exec("PRAGMA foreign_keys=ON", "enabling foreign keys"));
  // 16 MiB of page cache (SQLite's default is 2 MiB): a 100,000-instance run's indexes stay in
  // memory during bulk saves, while the process stays well inside its memory budget.
  FP_RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-16384", "setting the cache size"));
  if (options.read_only) {
    FP_RETURN_IF_ERROR(CheckSchema(*db));
  } else {
    FP_RETURN_IF_ERROR(Migrate(*db));
    if (!memory) TightenPermissions(env, path);
  }
  return std::unique_ptr<SqliteStateStore>(
      new SqliteStateStore(std::move(db), db_path, clock, env, options.read_only));
}

Status SqliteStateStore::CheckIntegrity() {
  std::lock_guard lock(mu_);
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("PRAGMA integrity_check", "checking integrity"));
  std::vector<std::string> problems;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step("checking integrity"));
    if (!row) break;
    std::string line = st.Text(0);
    if (line != "ok") problems.push_back(line);
  }
  FP_ASSIGN_OR_RETURN(Statement fk, db_->Prepare("PRAGMA foreign_key_check", "checking foreign keys"));
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, fk.Step("checking foreign keys"));
    if (!row) break;
    problems.push_back("dangling reference in table " + fk.Text(0));
  }
  if (problems.empty()) return OkStatus();
  std::string msg = "state store " + path_ + " is damaged:";
  for (const auto& p : problems) msg += "\n  " + p;
  return Error::Internal(msg);
}

// ---------------------------------------------------------------------------------------------
// Helpers

std::string SqliteStateStore::NowIso() const { return FormatIso8601(clock_.Now()); }

Status SqliteStateStore::RequireWritable() const {
  if (read_only_) {
    return Error::Config("state store " + path_ + " was opened read-only; this command cannot change it");
  }
  return OkStatus();
}

Status SqliteStateStore::RequireRun(const std::string& run_id) {
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT 1 FROM runs WHERE run_id = ?1", "looking up a run"));
  st.Bind(1, run_id);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("looking up a run"));
  if (!row) {
    return Error::NotFound(
        fmt::format("run {} is not in the state store {} (list runs with `fleetpatch runs`)", run_id, path_));
  }
  return OkStatus();
}

Status SqliteStateStore::TouchRun(const std::string& run_id, const std::string& now) {
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("UPDATE runs SET updated_at = ?1 WHERE run_id = ?2", "updating a run"));
  st.Bind(1, now).Bind(2, run_id);
  FP_RETURN_IF_ERROR(st.Run("updating a run"));
  if (db_->Changes() == 0) {
    return Error::NotFound(
        fmt::format("run {} is not in the state store {} (list runs with `fleetpatch runs`)", run_id, path_));
  }
  return OkStatus();
}

template <class Fn>
Status SqliteStateStore::WithFullSync(Fn&& fn) {
  FP_RETURN_IF_ERROR(db_->Exec("PRAGMA synchronous=FULL", "setting synchronous mode"));
  Status s = fn();
  Status restore = db_->Exec("PRAGMA synchronous=NORMAL", "setting synchronous mode");
  if (!s.ok()) return s;
  return restore;
}

// ---------------------------------------------------------------------------------------------
// Runs

Status SqliteStateStore::CreateRun(const RunInfo& run) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  if (run.run_id.empty()) return Error::Internal("CreateRun needs a run id (state::NewRunId)");
  const std::string now = NowIso();
  const nlohmann::json safe_config =
      RedactSecrets(run.config.is_null() ? nlohmann::json::object() : run.config);

  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "creating a run"));
  FP_ASSIGN_OR_RETURN(Statement exists,
                      db_->Prepare("SELECT 1 FROM runs WHERE run_id = ?1", "looking up a run"));
  exists.Bind(1, run.run_id);
  FP_ASSIGN_OR_RETURN(bool dup, exists.Step("looking up a run"));
  if (dup)
    return Error::Validation(fmt::format("run {} already exists in the state store {}", run.run_id, path_));

  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("INSERT INTO runs (run_id, created_at, updated_at, user, host, "
                                   "workflow, dry_run, status, config_json, phases_completed_json) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                   "creating a run"));
  st.Bind(1, run.run_id)
      .Bind(2, run.created_at.empty() ? now : run.created_at)
      .Bind(3, run.updated_at.empty() ? now : run.updated_at)
      .Bind(4, run.user)
      .Bind(5, run.host)
      .Bind(6, run.workflow)
      .Bind(7, run.dry_run)
      .Bind(8, RunStatusName(run.status))
      .Bind(9, DumpJson(safe_config))
      .Bind(10, nlohmann::json(run.phases_completed).dump());
  FP_RETURN_IF_ERROR(st.Run("creating a run"));
  return tx.Commit();
}

Status SqliteStateStore::UpdateRunStatus(const std::string& run_id, RunStatus status) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  return WithFullSync([&]() -> Status {
    FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "updating a run's status"));
    FP_RETURN_IF_ERROR(TouchRun(run_id, NowIso()));
    FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("UPDATE runs SET status = ?1 WHERE run_id = ?2",
                                                   "updating a run's status"));
    st.Bind(1, RunStatusName(status)).Bind(2, run_id);
    FP_RETURN_IF_ERROR(st.Run("updating a run's status"));
    return tx.Commit();
  });
}

Status SqliteStateStore::MarkPhaseCompleted(const std::string& run_id, Phase phase) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  return WithFullSync([&]() -> Status {
    FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "recording a completed phase"));
    FP_RETURN_IF_ERROR(TouchRun(run_id, NowIso()));
    FP_ASSIGN_OR_RETURN(Statement get,
                        db_->Prepare("SELECT phases_completed_json FROM runs WHERE run_id = ?1",
                                     "recording a completed phase"));
    get.Bind(1, run_id);
    FP_ASSIGN_OR_RETURN(bool row, get.Step("recording a completed phase"));
    if (!row) return Error::NotFound("run " + run_id + " disappeared");
    FP_ASSIGN_OR_RETURN(std::vector<std::string> phases,
                        Decode<std::vector<std::string>>(get.Text(0), "the phases of run " + run_id, path_));
    get.Reset();
    const std::string name = PhaseName(phase);
    if (std::find(phases.begin(), phases.end(), name) == phases.end()) phases.push_back(name);
    FP_ASSIGN_OR_RETURN(Statement put,
                        db_->Prepare("UPDATE runs SET phases_completed_json = ?1 WHERE run_id = ?2",
                                     "recording a completed phase"));
    put.Bind(1, nlohmann::json(phases).dump()).Bind(2, run_id);
    FP_RETURN_IF_ERROR(put.Run("recording a completed phase"));
    return tx.Commit();
  });
}

Result<RunInfo> SqliteStateStore::ReadRun(const char* sql, const std::string& bind,
                                          const std::string& not_found) {
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql, "reading a run"));
  if (!bind.empty()) st.Bind(1, bind);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("reading a run"));
  if (!row) return Error::NotFound(not_found);
  RunInfo run;
  run.run_id = st.Text(0);
  run.created_at = st.Text(1);
  run.updated_at = st.Text(2);
  run.user = st.Text(3);
  run.host = st.Text(4);
  run.workflow = st.Text(5);
  run.dry_run = st.Int(6) != 0;
  if (!ParseRunStatus(st.Text(7), &run.status)) {
    return Error::Internal(
        fmt::format("state store {}: run {} has an unknown status '{}'", path_, run.run_id, st.Text(7)));
  }
  FP_ASSIGN_OR_RETURN(run.config,
                      Decode<nlohmann::json>(st.Text(8), "the config of run " + run.run_id, path_));
  FP_ASSIGN_OR_RETURN(run.phases_completed,
                      Decode<std::vector<std::string>>(st.Text(9), "the phases of run " + run.run_id, path_));
  return run;
}

Result<RunInfo> SqliteStateStore::GetRun(const std::string& run_id) {
  std::lock_guard lock(mu_);
  static const std::string sql = std::string(kRunColumns) + "WHERE run_id = ?1";
  return ReadRun(
      sql.c_str(), run_id,
      fmt::format("run {} is not in the state store {} (list runs with `fleetpatch runs`)", run_id, path_));
}

Result<RunInfo> SqliteStateStore::LatestRun() {
  std::lock_guard lock(mu_);
  static const std::string sql =
      std::string(kRunColumns) + "WHERE workflow <> '" + kPruneWorkflow + "' ORDER BY seq DESC LIMIT 1";
  return ReadRun(sql.c_str(), "",
                 fmt::format("the state store {} holds no runs yet: run a scan first", path_));
}

Result<std::vector<RunInfo>> SqliteStateStore::ListRuns(int limit) {
  std::lock_guard lock(mu_);
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("SELECT run_id FROM runs ORDER BY seq DESC LIMIT ?1", "listing runs"));
  st.Bind(1, static_cast<int64_t>(limit > 0 ? limit : -1));  // LIMIT -1: no limit
  std::vector<std::string> ids;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step("listing runs"));
    if (!row) break;
    ids.push_back(st.Text(0));
  }
  st.Reset();
  static const std::string sql = std::string(kRunColumns) + "WHERE run_id = ?1";
  std::vector<RunInfo> runs;
  runs.reserve(ids.size());
  for (const auto& id : ids) {
    FP_ASSIGN_OR_RETURN(RunInfo run, ReadRun(sql.c_str(), id, "run " + id + " disappeared"));
    runs.push_back(std::move(run));
  }
  return runs;
}

// ---------------------------------------------------------------------------------------------
// Zones and instances

Status SqliteStateStore::SaveZones(const std::string& run_id, const std::vector<LandingZoneInfo>& zones) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "saving landing zones"));
  FP_RETURN_IF_ERROR(TouchRun(run_id, NowIso()));
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("INSERT INTO zones (run_id, name, zone_json, has_error) "
                                   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (run_id, name) DO UPDATE "
                                   "SET zone_json = excluded.zone_json, has_error = excluded.has_error",
                                   "saving landing zones"));
  for (const auto& z : zones) {
    if (z.name.empty()) return Error::Internal("SaveZones: a landing zone without a name");
    st.Bind(1, run_id).Bind(2, z.name).Bind(3, DumpJson(nlohmann::json(z))).Bind(4, !z.error.empty());
    FP_RETURN_IF_ERROR(st.Run("saving landing zones"));
  }
  return tx.Commit();
}

Result<std::vector<LandingZoneInfo>> SqliteStateStore::LoadZones(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("SELECT name, zone_json FROM zones WHERE run_id = ?1 ORDER BY seq",
                                   "loading landing zones"));
  st.Bind(1, run_id);
  std::vector<LandingZoneInfo> zones;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step("loading landing zones"));
    if (!row) break;
    FP_ASSIGN_OR_RETURN(LandingZoneInfo z,
                        Decode<LandingZoneInfo>(st.Text(1), "landing zone " + st.Text(0), path_));
    zones.push_back(std::move(z));
  }
  return zones;
}

Status SqliteStateStore::SaveInstances(const std::string& run_id,
                                       const std::vector<InstanceInfo>& instances) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  const std::string now = NowIso();
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "saving instances"));
  FP_RETURN_IF_ERROR(TouchRun(run_id, now));
  FP_ASSIGN_OR_RETURN(
      Statement st,
      db_->Prepare(
          "INSERT INTO instances (run_id, updated_at, zone, instance_id, account_id, region, name, platform, "
          "platform_name, state, availability_zone, instance_type, tags_json, ssm_ping_status, "
          "ssm_agent_version, in_auto_scaling_group, eligible, ineligible_reason) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
          "ON CONFLICT (run_id, zone, instance_id) DO UPDATE SET updated_at = excluded.updated_at, "
          "account_id = excluded.account_id, region = excluded.region, name = excluded.name, "
          "platform = excluded.platform, platform_name = excluded.platform_name, state = excluded.state, "
          "availability_zone = excluded.availability_zone, instance_type = excluded.instance_type, "
          "tags_json = excluded.tags_json, ssm_ping_status = excluded.ssm_ping_status, "
          "ssm_agent_version = excluded.ssm_agent_version, "
          "in_auto_scaling_group = excluded.in_auto_scaling_group, eligible = excluded.eligible, "
          "ineligible_reason = excluded.ineligible_reason",
          "saving instances"));
  st.Bind(1, run_id).Bind(2, now);
  for (const auto& inst : instances) {
    if (inst.instance_id.empty() || inst.zone.empty()) {
      return Error::Internal("SaveInstances: an instance without an id or a landing zone");
    }
    st.Bind(3, inst.zone)
        .Bind(4, inst.instance_id)
        .Bind(5, inst.account_id)
        .Bind(6, inst.region)
        .Bind(7, inst.name)
        .Bind(8, inst.platform)
        .Bind(9, inst.platform_name)
        .Bind(10, inst.state)
        .Bind(11, inst.availability_zone)
        .Bind(12, inst.instance_type)
        .Bind(13, inst.tags.empty() ? std::string("{}") : DumpJson(nlohmann::json(inst.tags)))
        .Bind(14, inst.ssm_ping_status)
        .Bind(15, inst.ssm_agent_version)
        .Bind(16, inst.in_auto_scaling_group)
        .Bind(17, inst.eligible)
        .Bind(18, inst.ineligible_reason);
    FP_RETURN_IF_ERROR(st.Run("saving instances"));
  }
  return tx.Commit();
}

Result<std::vector<InstanceInfo>> SqliteStateStore::LoadInstances(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> rows, QueryLocked(run_id, InstanceQuery{}));
  std::vector<InstanceInfo> out;
  out.reserve(rows.size());
  for (auto& r : rows) out.push_back(std::move(r.info));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Phase results

template <class R>
Status SqliteStateStore::SaveResults(const std::string& run_id,
                                     const std::vector<InstanceResult<R>>& results) {
  const char* what = PhaseColumnsOf<R>::value.what;
  static const std::string sql = UpdatePhaseResultSql(PhaseColumnsOf<R>::value, '?');
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  const std::string now = NowIso();
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, what));
  FP_RETURN_IF_ERROR(TouchRun(run_id, now));
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql.c_str(), what));
  st.Bind(3, now).Bind(4, run_id);
  for (const auto& r : results) {
    const EncodedResult e = EncodeResult(r.result);
    st.Bind(1, e.status).Bind(2, e.json);
    st.Bind(5, r.zone).Bind(6, r.instance_id);
    FP_RETURN_IF_ERROR(st.Run(what));
    if (db_->Changes() == 0) {
      // The whole batch rolls back: a result for an unknown instance is a caller bug, and a partial
      // batch would be harder to reason about on resume.
      return Error::NotFound(
          fmt::format("{}: instance {} in landing zone {} is not part of run {} (scan saves it first)", what,
                      r.instance_id, r.zone, run_id));
    }
  }
  return tx.Commit();
}

Status SqliteStateStore::SaveBackups(const std::string& run_id, const std::vector<BackupUpdate>& results) {
  return SaveResults(run_id, results);
}

Status SqliteStateStore::SavePrechecks(const std::string& run_id,
                                       const std::vector<PrecheckUpdate>& results) {
  return SaveResults(run_id, results);
}

Status SqliteStateStore::SavePatches(const std::string& run_id, const std::vector<PatchUpdate>& results) {
  return SaveResults(run_id, results);
}

Status SqliteStateStore::SaveStandbys(const std::string& run_id, const std::vector<StandbyUpdate>& results) {
  return SaveResults(run_id, results);
}

Status SqliteStateStore::SavePostchecks(const std::string& run_id,
                                        const std::vector<PostcheckUpdate>& results) {
  return SaveResults(run_id, results);
}

Status SqliteStateStore::SaveRollbacks(const std::string& run_id,
                                       const std::vector<RollbackUpdate>& results) {
  return SaveResults(run_id, results);
}

// ---------------------------------------------------------------------------------------------
// Reading

Result<std::vector<InstanceRun>> SqliteStateStore::QueryLocked(const std::string& run_id,
                                                               const InstanceQuery& q) {
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  int64_t last_seq = 0;
  return QueryPageLocked(run_id, q, SeqRange{}, -1, &last_seq);
}

// The columns and filters shared by the whole query and the pages. Optional filters are
// NULL-bound; status lists are bound as one JSON array each, so the SQL text is constant and
// nothing user-supplied is ever spliced into it.
// ?8 (InstanceQuery::details) false leaves out the tags and the precheck findings and output.
#define FP_INSTANCE_COLUMNS                                                                         \
  "SELECT zone, instance_id, account_id, region, name, platform, platform_name, state, "            \
  "availability_zone, instance_type, CASE WHEN ?8 THEN tags_json ELSE '{}' END, ssm_ping_status, "  \
  "ssm_agent_version, in_auto_scaling_group, eligible, ineligible_reason, backup_json, "            \
  "CASE WHEN ?8 THEN precheck_json ELSE json_remove(precheck_json, '$.output', '$.findings') END, " \
  "patch_json, seq, standby_json, postcheck_json, rollback_json FROM instances WHERE "
#define FP_INSTANCE_FILTERS                                                                 \
  "AND (?2 IS NULL OR zone = ?2) AND (?3 IS NULL OR eligible = ?3) "                        \
  "AND (?4 IS NULL OR coalesce(backup_status, ?7) IN (SELECT value FROM json_each(?4))) "   \
  "AND (?5 IS NULL OR coalesce(precheck_status, ?7) IN (SELECT value FROM json_each(?5))) " \
  "AND (?6 IS NULL OR coalesce(patch_status, ?7) IN (SELECT value FROM json_each(?6))) "

Result<std::vector<InstanceRun>> SqliteStateStore::QueryPageLocked(const std::string& run_id,
                                                                   const InstanceQuery& q, SeqRange range,
                                                                   int64_t limit, int64_t* last_seq) {
  constexpr const char* kWhat = "loading instances";
  // A page walks the run's seq range in rowid order and stops after `limit` matches: "+run_id"
  // keeps SQLite from picking a run_id index instead, which would sort every remaining row of the
  // run for each page (quadratic in the size of the run).
  static constexpr const char* kAll = FP_INSTANCE_COLUMNS "run_id = ?1 " FP_INSTANCE_FILTERS "ORDER BY seq";
  static constexpr const char* kPage = FP_INSTANCE_COLUMNS
      "+run_id = ?1 AND seq > ?9 AND seq <= ?11 " FP_INSTANCE_FILTERS "ORDER BY seq LIMIT ?10";
  const bool page = limit >= 0;
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare(page ? kPage : kAll, kWhat));
  st.Bind(1, run_id);
  if (!q.zone.empty()) st.Bind(2, q.zone);
  if (q.eligible) st.Bind(3, *q.eligible);
  if (!q.backup_status.empty()) st.Bind(4, StatusArray(q.backup_status));
  if (!q.precheck_status.empty()) st.Bind(5, StatusArray(q.precheck_status));
  if (!q.patch_status.empty()) st.Bind(6, StatusArray(q.patch_status));
  st.Bind(7, kNoResult);
  st.Bind(8, q.details);
  if (page) st.Bind(9, range.after).Bind(10, limit).Bind(11, range.last);  // keyset pagination on seq

  std::vector<InstanceRun> out;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step(kWhat));
    if (!row) break;
    InstanceRun r;
    InstanceInfo& i = r.info;
    i.zone = st.Text(0);
    i.instance_id = st.Text(1);
    i.account_id = st.Text(2);
    i.region = st.Text(3);
    i.name = st.Text(4);
    i.platform = st.Text(5);
    i.platform_name = st.Text(6);
    i.state = st.Text(7);
    i.availability_zone = st.Text(8);
    i.instance_type = st.Text(9);
    i.ssm_ping_status = st.Text(11);
    i.ssm_agent_version = st.Text(12);
    i.in_auto_scaling_group = st.Int(13) != 0;
    i.eligible = st.Int(14) != 0;
    i.ineligible_reason = st.Text(15);
    const std::string label = "instance " + i.instance_id + " in " + i.zone;
    const std::string tags = st.Text(10);
    if (tags != "{}") {
      FP_ASSIGN_OR_RETURN(i.tags,
                          (Decode<std::map<std::string, std::string>>(tags, "the tags of " + label, path_)));
    }
    if (!st.IsNull(16)) {
      FP_ASSIGN_OR_RETURN(r.backup, Decode<BackupResult>(st.Text(16), "the backup of " + label, path_));
    }
    if (!st.IsNull(17)) {
      FP_ASSIGN_OR_RETURN(r.precheck, Decode<PrecheckResult>(st.Text(17), "the precheck of " + label, path_));
    }
    if (!st.IsNull(18)) {
      FP_ASSIGN_OR_RETURN(r.patch, Decode<PatchResult>(st.Text(18), "the patch of " + label, path_));
    }
    *last_seq = st.Int(19);
    if (!st.IsNull(20)) {
      FP_ASSIGN_OR_RETURN(r.standby, Decode<StandbyResult>(st.Text(20), "the standby of " + label, path_));
    }
    if (!st.IsNull(21)) {
      FP_ASSIGN_OR_RETURN(r.postcheck,
                          Decode<PostcheckResult>(st.Text(21), "the postcheck of " + label, path_));
    }
    if (!st.IsNull(22)) {
      FP_ASSIGN_OR_RETURN(r.rollback, Decode<RollbackResult>(st.Text(22), "the rollback of " + label, path_));
    }
    out.push_back(std::move(r));
  }
  return out;
}

#undef FP_INSTANCE_COLUMNS
#undef FP_INSTANCE_FILTERS

Result<std::vector<InstanceRun>> SqliteStateStore::QueryInstances(const std::string& run_id,
                                                                  const InstanceQuery& query) {
  std::lock_guard lock(mu_);
  return QueryLocked(run_id, query);
}

Result<std::map<std::string, int64_t>> SqliteStateStore::CountByStatus(const std::string& run_id,
                                                                       Phase phase) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  const char* sql = nullptr;
  switch (phase) {
    case Phase::kScan:
      sql =
          "SELECT CASE eligible WHEN 0 THEN 'ineligible' ELSE 'eligible' END, count(*) FROM instances "
          "WHERE run_id = ?1 GROUP BY 1";
      break;
    case Phase::kBackup:
      sql = "SELECT coalesce(backup_status, ?2), count(*) FROM instances WHERE run_id = ?1 GROUP BY 1";
      break;
    case Phase::kPrecheck:
      sql = "SELECT coalesce(precheck_status, ?2), count(*) FROM instances WHERE run_id = ?1 GROUP BY 1";
      break;
    case Phase::kPatch:
      sql = "SELECT coalesce(patch_status, ?2), count(*) FROM instances WHERE run_id = ?1 GROUP BY 1";
      break;
  }
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql, "counting results"));
  st.Bind(1, run_id);
  if (phase != Phase::kScan) st.Bind(2, kNoResult);
  std::map<std::string, int64_t> counts;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step("counting results"));
    if (!row) break;
    counts[st.Text(0)] = st.Int(1);
  }
  return counts;
}

template <class Fn>
auto SqliteStateStore::InReadTransaction(const char* what, Fn&& fn) -> decltype(fn()) {
  // Autocommit off means a transaction is already open on this connection, which (under mu_) can
  // only be this thread's (ReadConsistently, or a read from inside a ForEachInstance callback):
  // join it, so the nested read sees the same snapshot.
  if (sqlite3_get_autocommit(db_->raw()) == 0) return fn();
  FP_RETURN_IF_ERROR(db_->Exec("BEGIN", what));
  auto result = fn();
  (void)db_->Exec("COMMIT", what);  // read-only transaction: nothing to keep or lose
  return result;
}

Result<RunSnapshot> SqliteStateStore::LoadSnapshot(const std::string& run_id) {
  std::lock_guard lock(mu_);
  // One read transaction, so the snapshot is consistent even while another process writes.
  return InReadTransaction("loading a run", [&]() -> Result<RunSnapshot> {
    RunSnapshot snap;
    static const std::string sql = std::string(kRunColumns) + "WHERE run_id = ?1";
    FP_ASSIGN_OR_RETURN(
        snap.run,
        ReadRun(sql.c_str(), run_id,
                fmt::format("run {} is not in the state store {} (list runs with `fleetpatch runs`)", run_id,
                            path_)));
    FP_ASSIGN_OR_RETURN(Statement zs,
                        db_->Prepare("SELECT name, zone_json FROM zones WHERE run_id = ?1 ORDER BY seq",
                                     "loading landing zones"));
    zs.Bind(1, run_id);
    for (;;) {
      FP_ASSIGN_OR_RETURN(bool row, zs.Step("loading landing zones"));
      if (!row) break;
      FP_ASSIGN_OR_RETURN(LandingZoneInfo z,
                          Decode<LandingZoneInfo>(zs.Text(1), "landing zone " + zs.Text(0), path_));
      snap.zones.push_back(std::move(z));
    }
    FP_ASSIGN_OR_RETURN(snap.instances, QueryLocked(run_id, InstanceQuery{}));
    FP_ASSIGN_OR_RETURN(snap.events, LoadEventsLocked(run_id, 0));
    return snap;
  });
}

Status SqliteStateStore::ForEachInstance(const std::string& run_id, const InstanceQuery& query,
                                         size_t batch_size,
                                         const std::function<Status(std::vector<InstanceRun>&&)>& fn) {
  std::lock_guard lock(mu_);
  if (batch_size == 0) return Error::Internal("ForEachInstance needs a batch size of at least 1");
  // One read transaction for the whole visit (a consistent snapshot, see state_store.h); each batch
  // is its own bounded query resuming after the last seq seen, so no statement stays open while
  // `fn` runs and nothing but one batch is ever held.
  return InReadTransaction("loading instances", [&]() -> Status {
    FP_RETURN_IF_ERROR(RequireRun(run_id));
    // The run's seq range, so that the pages scan only the run's rows, not the runs before or after.
    FP_ASSIGN_OR_RETURN(
        Statement bounds,
        db_->Prepare("SELECT min(seq), max(seq) FROM instances WHERE run_id = ?1", "loading instances"));
    bounds.Bind(1, run_id);
    FP_ASSIGN_OR_RETURN(bool row, bounds.Step("loading instances"));
    if (!row || bounds.IsNull(0)) return OkStatus();  // no instances
    SeqRange range{bounds.Int(0) - 1, bounds.Int(1)};
    bounds.Reset();
    for (;;) {
      int64_t last = range.after;
      FP_ASSIGN_OR_RETURN(std::vector<InstanceRun> batch,
                          QueryPageLocked(run_id, query, range, static_cast<int64_t>(batch_size), &last));
      if (batch.empty()) return OkStatus();
      const bool full = batch.size() == batch_size;
      FP_RETURN_IF_ERROR(fn(std::move(batch)));
      if (!full) return OkStatus();
      range.after = last;
    }
  });
}

Status SqliteStateStore::ForEachEvent(const std::string& run_id, size_t batch_size,
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

Status SqliteStateStore::ReadConsistently(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return InReadTransaction("reading a run", fn);
}

// ---------------------------------------------------------------------------------------------
// Events

Status SqliteStateStore::AppendEventLocked(const std::string& run_id, const Event& e, int64_t* seq) {
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("INSERT INTO events (run_id, time, level, zone, instance_id, "
                                   "phase, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                   "appending an event"));
  st.Bind(1, run_id)
      .Bind(2, e.time.empty() ? NowIso() : e.time)
      .Bind(3, e.level.empty() ? std::string("info") : e.level)
      .Bind(4, e.zone)
      .Bind(5, e.instance_id)
      .Bind(6, e.phase)
      .Bind(7, e.message);
  FP_RETURN_IF_ERROR(st.Run("appending an event"));
  if (seq) *seq = db_->LastInsertRowId();
  return OkStatus();
}

Result<int64_t> SqliteStateStore::AppendEvent(const std::string& run_id, const Event& event) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "appending an event"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  int64_t seq = 0;
  FP_RETURN_IF_ERROR(AppendEventLocked(run_id, event, &seq));
  FP_RETURN_IF_ERROR(tx.Commit());
  return seq;
}

Status SqliteStateStore::AppendEvents(const std::string& run_id, const std::vector<Event>& events) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "appending events"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  for (const auto& e : events) FP_RETURN_IF_ERROR(AppendEventLocked(run_id, e, nullptr));
  return tx.Commit();
}

Result<std::vector<Event>> SqliteStateStore::LoadEventsLocked(const std::string& run_id, int64_t after_seq,
                                                              int64_t limit) {
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("SELECT seq, time, level, zone, instance_id, phase, message FROM events "
                                   "WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
                                   "loading events"));
  st.Bind(1, run_id).Bind(2, after_seq).Bind(3, limit);  // LIMIT -1: no limit
  std::vector<Event> out;
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, st.Step("loading events"));
    if (!row) break;
    Event e;
    e.seq = st.Int(0);
    e.time = st.Text(1);
    e.level = st.Text(2);
    e.zone = st.Text(3);
    e.instance_id = st.Text(4);
    e.phase = st.Text(5);
    e.message = st.Text(6);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<Event>> SqliteStateStore::LoadEvents(const std::string& run_id, int64_t after_seq) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  return LoadEventsLocked(run_id, after_seq);
}

// ---------------------------------------------------------------------------------------------
// Locking

Result<std::unique_ptr<RunLock>> SqliteStateStore::AcquireRunLock(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  const int64_t my_pid = env_.ProcessId();
  const std::string my_host = env_.HostName();
  const std::string my_start = env_.ProcessStartTime(my_pid);
  const std::string token = RandomToken();
  const std::string now = NowIso();

  // BEGIN IMMEDIATE holds the database's write lock from the read of the lock row to the commit,
  // so checking the holder and taking over a stale lock is one atomic step across processes.
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "locking a run"));
  FP_RETURN_IF_ERROR(RequireRun(run_id));
  FP_ASSIGN_OR_RETURN(Statement get, db_->Prepare("SELECT pid, host, pid_start, since FROM run_locks "
                                                  "WHERE run_id = ?1",
                                                  "locking a run"));
  get.Bind(1, run_id);
  FP_ASSIGN_OR_RETURN(bool held, get.Step("locking a run"));
  if (held) {
    const int64_t pid = get.Int(0);
    const std::string host = get.Text(1);
    const std::string pid_start = get.Text(2);
    const std::string since = get.Text(3);
    get.Reset();
    if (host != my_host) {
      return Error::Validation(fmt::format(
          "run {} is in use by process {} on host {} since {}; wait for it to finish. The lock was taken on "
          "another host, so fleetpatch cannot tell whether that process still runs",
          run_id, pid, host, since));
    }
    if (!HolderIsGone(env_, pid, pid_start)) {
      return Error::Validation(
          fmt::format("run {} is in use by process {} on host {} since {}; wait for it to "
                      "finish or stop it, then try again",
                      run_id, pid, host, since));
    }
    // The holder is dead: take the lock over and say so in the journal.
    Event e;
    e.level = "warning";
    e.message =
        fmt::format("took over the lock of process {} on host {} (held since {}), which no longer runs", pid,
                    host, since);
    FP_RETURN_IF_ERROR(AppendEventLocked(run_id, e, nullptr));
  } else {
    get.Reset();
  }
  FP_ASSIGN_OR_RETURN(
      Statement put,
      db_->Prepare("INSERT OR REPLACE INTO run_locks (run_id, pid, host, pid_start, token, since) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   "locking a run"));
  put.Bind(1, run_id).Bind(2, my_pid).Bind(3, my_host).Bind(4, my_start).Bind(5, token).Bind(6, now);
  FP_RETURN_IF_ERROR(put.Run("locking a run"));
  FP_RETURN_IF_ERROR(tx.Commit());
  return std::unique_ptr<RunLock>(new SqliteRunLock(this, run_id, token));
}

Status SqliteStateStore::ReleaseLock(const std::string& run_id, const std::string& token) {
  std::lock_guard lock(mu_);
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("DELETE FROM run_locks WHERE run_id = ?1 AND token = ?2",
                                                 "releasing a run lock"));
  st.Bind(1, run_id).Bind(2, token);
  return st.Run("releasing a run lock");
}

Result<std::optional<LockHolder>> SqliteStateStore::GetRunLockHolder(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT pid, host, since FROM run_locks WHERE run_id = ?1",
                                                 "reading a run lock"));
  st.Bind(1, run_id);
  FP_ASSIGN_OR_RETURN(bool row, st.Step("reading a run lock"));
  if (!row) return std::optional<LockHolder>();
  return std::optional<LockHolder>(LockHolder{st.Int(0), st.Text(1), st.Text(2)});
}

Status SqliteStateStore::BreakRunLock(const std::string& run_id) {
  std::lock_guard lock(mu_);
  FP_RETURN_IF_ERROR(RequireWritable());
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(*db_, "breaking a run lock"));
  FP_ASSIGN_OR_RETURN(Statement st,
                      db_->Prepare("DELETE FROM run_locks WHERE run_id = ?1", "breaking a run lock"));
  st.Bind(1, run_id);
  FP_RETURN_IF_ERROR(st.Run("breaking a run lock"));
  return tx.Commit();
}

}  // namespace fleetpatch::state
