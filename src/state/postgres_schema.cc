#include "state/postgres_schema.h"

#include <fmt/format.h>

#include <string>

namespace fleetpatch::state {
namespace {

// The marker in fleetpatch_schema.application, so a table of that name from elsewhere is refused.
constexpr const char* kApplication = "fleetpatch-state";

// Serialises migrations of one database (pg_advisory_xact_lock key; 'FPST' as in schema.h).
constexpr const char* kMigrationLockKey = "1179669332";

// Version 1: the layout of the SQLite store's version 1 (see schema.cc for what each table holds).
// Differences: booleans are boolean, "user" is run_user (a reserved word here), seq columns are
// bigserial, and the journal's append-only rule is a trigger function that also refuses TRUNCATE.
// run_locks.backend_pid is the server session that holds the run's advisory lock.
constexpr const char* kV1 = R"sql(
CREATE TABLE fleetpatch_schema (
  id integer PRIMARY KEY CHECK (id = 1),
  version integer NOT NULL,
  application text NOT NULL
);
CREATE TABLE runs (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL UNIQUE,
  created_at text NOT NULL,
  updated_at text NOT NULL,
  run_user text NOT NULL DEFAULT '',
  host text NOT NULL DEFAULT '',
  workflow text NOT NULL DEFAULT '',
  dry_run boolean NOT NULL DEFAULT false,
  status text NOT NULL,
  config_json text NOT NULL DEFAULT '{}',
  phases_completed_json text NOT NULL DEFAULT '[]'
);
CREATE TABLE zones (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs(run_id),
  name text NOT NULL,
  zone_json text NOT NULL,
  has_error boolean NOT NULL DEFAULT false,
  UNIQUE (run_id, name)
);
CREATE TABLE instances (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs(run_id),
  zone text NOT NULL,
  instance_id text NOT NULL,
  account_id text NOT NULL,
  region text NOT NULL,
  name text NOT NULL,
  platform text NOT NULL,
  platform_name text NOT NULL,
  state text NOT NULL,
  availability_zone text NOT NULL,
  instance_type text NOT NULL,
  tags_json text NOT NULL,
  ssm_ping_status text NOT NULL,
  ssm_agent_version text NOT NULL,
  in_auto_scaling_group boolean NOT NULL,
  eligible boolean NOT NULL,
  ineligible_reason text NOT NULL,
  backup_status text,
  backup_json text,
  precheck_status text,
  precheck_json text,
  patch_status text,
  patch_json text,
  updated_at text NOT NULL,
  UNIQUE (run_id, zone, instance_id)
);
CREATE INDEX instances_run_seq ON instances (run_id, seq);
CREATE INDEX instances_backup_status ON instances (run_id, backup_status);
CREATE INDEX instances_precheck_status ON instances (run_id, precheck_status);
CREATE INDEX instances_patch_status ON instances (run_id, patch_status);
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  run_id text NOT NULL REFERENCES runs(run_id),
  time text NOT NULL,
  level text NOT NULL,
  zone text NOT NULL DEFAULT '',
  instance_id text NOT NULL DEFAULT '',
  phase text NOT NULL DEFAULT '',
  message text NOT NULL
);
CREATE INDEX events_run ON events (run_id, seq);
CREATE FUNCTION fleetpatch_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the event journal is append-only';
END $$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION fleetpatch_events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION fleetpatch_events_append_only();
CREATE TABLE run_locks (
  run_id text PRIMARY KEY,
  pid bigint NOT NULL,
  host text NOT NULL,
  token text NOT NULL,
  since text NOT NULL,
  backend_pid integer NOT NULL
);
)sql";

// Version 2: several workers on one run (state_store.h).
// - zone_leases: who works which zone of a run until when; generation counts the claims so that a
//   worker whose lease was taken over cannot renew or release it. A row appears at the first claim.
// - rollouts: the run-wide rollout, one row that every admission and patch end locks FOR UPDATE.
// - rollout_instances: the instances admitted to a wave (wave -1: an end recorded without
//   admission) and whether their patch ended, and failed.
constexpr const char* kV2 = R"sql(
CREATE TABLE zone_leases (
  run_id text NOT NULL,
  zone text NOT NULL,
  worker_id text,
  expires_at timestamptz,
  generation bigint NOT NULL DEFAULT 0,
  done boolean NOT NULL DEFAULT false,
  PRIMARY KEY (run_id, zone),
  FOREIGN KEY (run_id, zone) REFERENCES zones (run_id, name)
);
CREATE TABLE rollouts (
  run_id text PRIMARY KEY REFERENCES runs(run_id),
  canary_size integer NOT NULL,
  wave_size integer NOT NULL,
  allowed_failures bigint NOT NULL,
  canary_must_succeed boolean NOT NULL,
  wave integer NOT NULL DEFAULT 0,
  failures bigint NOT NULL DEFAULT 0,
  stop_reason text NOT NULL DEFAULT ''
);
CREATE TABLE rollout_instances (
  run_id text NOT NULL REFERENCES rollouts(run_id),
  zone text NOT NULL,
  instance_id text NOT NULL,
  wave integer NOT NULL,
  ended boolean NOT NULL DEFAULT false,
  failed boolean NOT NULL DEFAULT false,
  PRIMARY KEY (run_id, zone, instance_id)
);
CREATE INDEX rollout_instances_wave ON rollout_instances (run_id, wave);
)sql";

// Version 3: what the safety loop records per instance (docs/safety.md), in the instance row like
// the other phases: the Auto Scaling handling around the patch (StandbyResult: recorded before
// EnterStandby / SuspendProcesses, so a crash never hides an instance left in Standby), the
// postcheck's verdict and the rollback (its task id saved before the wait).
constexpr const char* kV3 = R"sql(
ALTER TABLE instances ADD COLUMN standby_status text;
ALTER TABLE instances ADD COLUMN standby_json text;
ALTER TABLE instances ADD COLUMN postcheck_status text;
ALTER TABLE instances ADD COLUMN postcheck_json text;
ALTER TABLE instances ADD COLUMN rollback_status text;
ALTER TABLE instances ADD COLUMN rollback_json text;
)sql";

// The version recorded in the store, 0 when it has none yet. Refuses tables that are not ours.
Result<int> StoredVersion(PgConn& conn) {
  FP_ASSIGN_OR_RETURN(PgResult t, conn.Exec("SELECT to_regclass('fleetpatch_schema') IS NOT NULL, "
                                            "to_regclass('runs') IS NOT NULL, current_schema()",
                                            {}, "reading the schema version"));
  const std::string schema = t.Text(0, 2);
  if (!t.Bool(0, 0)) {
    if (t.Bool(0, 1)) {
      return Error::Config(fmt::format(
          "state store {}: schema \"{}\" already has a table \"runs\" that fleetpatch did not create; it "
          "will "
          "not be modified. Use another database or schema (options=-csearch_path=NAME in the URL).",
          conn.display(), schema));
    }
    return 0;
  }
  FP_ASSIGN_OR_RETURN(PgResult v, conn.Exec("SELECT version, application FROM fleetpatch_schema WHERE id = 1",
                                            {}, "reading the schema version"));
  if (v.rows() == 0 || v.Text(0, 1) != kApplication) {
    return Error::Config(fmt::format("state store {}: fleetpatch_schema in schema \"{}\" is not fleetpatch's",
                                     conn.display(), schema));
  }
  return static_cast<int>(v.Int(0, 0));
}

Status CheckNotNewer(PgConn& conn, int version) {
  if (version <= PostgresSchemaVersion()) return OkStatus();
  return Error::Config(fmt::format(
      "state store {} has schema version {}, but this fleetpatch understands versions up to {}. It was "
      "written by a newer fleetpatch: upgrade fleetpatch.",
      conn.display(), version, PostgresSchemaVersion()));
}

}  // namespace

const std::vector<PostgresMigration>& PostgresMigrations() {
  static const std::vector<PostgresMigration> kAll = {
      {1, kV1},
      {2, kV2},
      {3, kV3},
  };
  return kAll;
}

int PostgresSchemaVersion() { return PostgresMigrations().back().version; }

Status MigratePostgres(PgConn& conn) {
  FP_ASSIGN_OR_RETURN(int version, StoredVersion(conn));
  FP_RETURN_IF_ERROR(CheckNotNewer(conn, version));
  if (version == PostgresSchemaVersion()) return OkStatus();
  // One transaction for all pending steps (PostgreSQL's DDL is transactional): a crash leaves the
  // old version intact. The advisory lock makes a second migrator wait, then re-read the version.
  FP_ASSIGN_OR_RETURN(PgTransaction tx, PgTransaction::Begin(conn, "BEGIN", "migrating the schema"));
  FP_RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_xact_lock($1::bigint)", {std::string(kMigrationLockKey)},
                               "waiting for another migration"));
  FP_ASSIGN_OR_RETURN(version, StoredVersion(conn));
  FP_RETURN_IF_ERROR(CheckNotNewer(conn, version));
  for (const PostgresMigration& m : PostgresMigrations()) {
    if (m.version <= version) continue;
    FP_RETURN_IF_ERROR(
        conn.ExecScript(m.sql, "migrating the schema to version " + std::to_string(m.version)));
  }
  FP_RETURN_IF_ERROR(conn.Exec(
      "INSERT INTO fleetpatch_schema (id, version, application) VALUES (1, $1, $2) "
      "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
      {std::to_string(PostgresSchemaVersion()), std::string(kApplication)}, "recording the schema version"));
  return tx.Commit();
}

Status CheckPostgresSchema(PgConn& conn) {
  FP_ASSIGN_OR_RETURN(int version, StoredVersion(conn));
  FP_RETURN_IF_ERROR(CheckNotNewer(conn, version));
  if (version == 0) {
    return Error::NotFound(
        fmt::format("the state store {} holds no fleetpatch data yet: no run has been "
                    "recorded there (a workflow run creates it)",
                    conn.display()));
  }
  if (version < PostgresSchemaVersion()) {
    return Error::Config(
        fmt::format("state store {} has schema version {} and needs an upgrade to {}; run "
                    "any phase (which upgrades it) before reading it",
                    conn.display(), version, PostgresSchemaVersion()));
  }
  return OkStatus();
}

}  // namespace fleetpatch::state
