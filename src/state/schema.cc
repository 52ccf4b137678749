#include "state/schema.h"

#include <string>

namespace fleetpatch::state {
namespace {

// Version 1: the first layout.
// - runs: one row per run; seq orders runs by creation (independent of clock changes).
// - zones, instances: per run, with a seq that keeps first-save order. What scan learned is kept in
//   columns (JSON only for the tags: encoding 100,000 instances as JSON documents costs seconds).
//   Phase results live in the instance row (status column + the result's JSON form) so a snapshot
//   is one scan; the status columns are indexed for the resume queries. NULL status = no result.
// - events: the append-only journal; triggers refuse UPDATE and DELETE.
// - run_locks: who works a run (pid, host, start time of the pid, since when).
constexpr const char* kV1 = R"sql(
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  user TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  workflow TEXT NOT NULL DEFAULT '',
  dry_run INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  config_json TEXT NOT NULL DEFAULT '{}',
  phases_completed_json TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE zones (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  name TEXT NOT NULL,
  zone_json TEXT NOT NULL,
  has_error INTEGER NOT NULL DEFAULT 0,
  UNIQUE (run_id, name)
);
CREATE TABLE instances (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  zone TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  region TEXT NOT NULL,
  name TEXT NOT NULL,
  platform TEXT NOT NULL,
  platform_name TEXT NOT NULL,
  state TEXT NOT NULL,
  availability_zone TEXT NOT NULL,
  instance_type TEXT NOT NULL,
  tags_json TEXT NOT NULL,
  ssm_ping_status TEXT NOT NULL,
  ssm_agent_version TEXT NOT NULL,
  in_auto_scaling_group INTEGER NOT NULL,
  eligible INTEGER NOT NULL,
  ineligible_reason TEXT NOT NULL,
  backup_status TEXT,
  backup_json TEXT,
  precheck_status TEXT,
  precheck_json TEXT,
  patch_status TEXT,
  patch_json TEXT,
  updated_at TEXT NOT NULL,
  UNIQUE (run_id, zone, instance_id)
);
CREATE INDEX instances_backup_status ON instances (run_id, backup_status);
CREATE INDEX instances_precheck_status ON instances (run_id, precheck_status);
CREATE INDEX instances_patch_status ON instances (run_id, patch_status);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(run_id),
  time TEXT NOT NULL,
  level TEXT NOT NULL,
  zone TEXT NOT NULL DEFAULT '',
  instance_id TEXT NOT NULL DEFAULT '',
  phase TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL
);
CREATE INDEX events_run ON events (run_id, seq);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event journal is append-only'); END;
CREATE TABLE run_locks (
  run_id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  pid_start TEXT NOT NULL DEFAULT '',
  token TEXT NOT NULL,
  since TEXT NOT NULL
);
)sql";

// Version 2: several workers on one run (state_store.h), as in the PostgreSQL store's version 2.
// - zone_leases: who works which zone of a run until when (expires_at_ms: the store Clock's
//   milliseconds since the epoch); generation counts the claims. A row appears at the first claim.
// - rollouts: the run-wide rollout, one row per run.
// - rollout_instances: the instances admitted to a wave (wave -1: an end recorded without
//   admission) and whether their patch ended, and failed.
constexpr const char* kV2 = R"sql(
CREATE TABLE zone_leases (
  run_id TEXT NOT NULL,
  zone TEXT NOT NULL,
  worker_id TEXT,
  expires_at_ms INTEGER,
  generation INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, zone),
  FOREIGN KEY (run_id, zone) REFERENCES zones (run_id, name)
);
CREATE TABLE rollouts (
  run_id TEXT PRIMARY KEY REFERENCES runs(run_id),
  canary_size INTEGER NOT NULL,
  wave_size INTEGER NOT NULL,
  allowed_failures INTEGER NOT NULL,
  canary_must_succeed INTEGER NOT NULL,
  wave INTEGER NOT NULL DEFAULT 0,
  failures INTEGER NOT NULL DEFAULT 0,
  stop_reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE rollout_instances (
  run_id TEXT NOT NULL REFERENCES rollouts(run_id),
  zone TEXT NOT NULL,
  instance_id TEXT NOT NULL,
  wave INTEGER NOT NULL,
  ended INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, zone, instance_id)
);
CREATE INDEX rollout_instances_wave ON rollout_instances (run_id, wave);
)sql";

// Version 3: what the safety loop records per instance (docs/safety.md), in the instance row like
// the other phases: the Auto Scaling handling around the patch (StandbyResult: recorded before
// EnterStandby / SuspendProcesses, so a crash never hides an instance left in Standby), the
// postcheck's verdict and the rollback (its task id saved before the wait).
constexpr const char* kV3 = R"sql(
ALTER TABLE instances ADD COLUMN standby_status TEXT;
ALTER TABLE instances ADD COLUMN standby_json TEXT;
ALTER TABLE instances ADD COLUMN postcheck_status TEXT;
ALTER TABLE instances ADD COLUMN postcheck_json TEXT;
ALTER TABLE instances ADD COLUMN rollback_status TEXT;
ALTER TABLE instances ADD COLUMN rollback_json TEXT;
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kAll = {
      {1, kV1},
      {2, kV2},
      {3, kV3},
  };
  return kAll;
}

int SchemaVersion() { return Migrations().back().version; }

namespace {

Status CheckOwnership(Db& db, int64_t version) {
  FP_ASSIGN_OR_RETURN(int64_t app_id, db.QueryInt("PRAGMA application_id", "reading the application id"));
  if (app_id == kApplicationId) return OkStatus();
  if (version == 0 && app_id == 0) {
    FP_ASSIGN_OR_RETURN(int64_t objects,
                        db.QueryInt("SELECT count(*) FROM sqlite_schema", "inspecting the schema"));
    if (objects == 0) return OkStatus();  // an empty database: ours to set up
  }
  return Error::Config("state store " + db.path() +
                       " is an SQLite database that fleetpatch did not create; it will not be modified. "
                       "Point --state at a new path.");
}

Status CheckNotNewer(Db& db, int64_t version) {
  if (version > SchemaVersion()) {
    return Error::Config("state store " + db.path() + " has schema version " + std::to_string(version) +
                         ", but this fleetpatch understands versions up to " +
                         std::to_string(SchemaVersion()) +
                         ". It was written by a newer fleetpatch: upgrade fleetpatch, or use --state with "
                         "another path.");
  }
  return OkStatus();
}

}  // namespace

Status CheckCompatible(Db& db) {
  FP_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version", "reading the schema version"));
  FP_RETURN_IF_ERROR(CheckOwnership(db, version));
  return CheckNotNewer(db, version);
}

Status Migrate(Db& db) {
  FP_RETURN_IF_ERROR(CheckCompatible(db));
  FP_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version", "reading the schema version"));
  if (version == SchemaVersion()) return OkStatus();

  // One transaction for all pending steps: a crash mid-migration leaves the old version intact.
  // BEGIN IMMEDIATE also serialises two processes that open a fresh store at once; the version is
  // re-read inside the transaction so the second one does not migrate again.
  FP_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db, "migrating the schema"));
  FP_ASSIGN_OR_RETURN(version, db.QueryInt("PRAGMA user_version", "reading the schema version"));
  FP_RETURN_IF_ERROR(CheckNotNewer(db, version));
  for (const Migration& m : Migrations()) {
    if (m.version <= version) continue;
    FP_RETURN_IF_ERROR(db.Exec(m.sql, "migrating the schema to version " + std::to_string(m.version)));
    // PRAGMA takes no bound parameters; the value is a compile-time integer, not user input.
    const std::string set_version = "PRAGMA user_version = " + std::to_string(m.version);
    FP_RETURN_IF_ERROR(db.Exec(set_version.c_str(), "recording the schema version"));
  }
  const std::string set_app = "PRAGMA application_id = " + std::to_string(kApplicationId);
  FP_RETURN_IF_ERROR(db.Exec(set_app.c_str(), "recording the application id"));
  return tx.Commit();
}

Status CheckSchema(Db& db) {
  FP_ASSIGN_OR_RETURN(int64_t version, db.QueryInt("PRAGMA user_version", "reading the schema version"));
  FP_RETURN_IF_ERROR(CheckOwnership(db, version));
  FP_RETURN_IF_ERROR(CheckNotNewer(db, version));
  if (version < SchemaVersion()) {
    return Error::Config("state store " + db.path() + " has schema version " + std::to_string(version) +
                         " and needs an upgrade to " + std::to_string(SchemaVersion()) +
                         "; run any phase (which upgrades it) before reading it");
  }
  return OkStatus();
}

}  // namespace fleetpatch::state
