// The PostgreSQL state store's schema and its ordered migrations: the same tables and meaning as
// the SQLite store (schema.h), in PostgreSQL's types. The version lives in the one-row table
// fleetpatch_schema; migration N takes a store from version N-1 to N inside one transaction, under
// a transaction-level advisory lock so that two processes opening a fresh database at once do not
// both migrate. A store newer than this build is refused; tables of another application with our
// names are never touched. Tables are created in the connection's current schema (search_path),
// so one database can hold several stores in separate schemas.
// Thread-safety: functions operate on the PgConn they are given; callers serialise.
#pragma once

#include <vector>

#include "common/error.h"
#include "state/postgres_conn.h"

namespace fleetpatch::state {

struct PostgresMigration {
  int version;      // the schema version after this migration
  const char* sql;  // DDL only; runs in the migration's transaction
};

// All migrations, in order. Append new ones; never edit a released one.
const std::vector<PostgresMigration>& PostgresMigrations();
int PostgresSchemaVersion();

// Brings the store up to PostgresSchemaVersion(); refuses a newer store or foreign tables.
Status MigratePostgres(PgConn& conn);
// For read-only use: the store must be a fleetpatch store at exactly PostgresSchemaVersion().
Status CheckPostgresSchema(PgConn& conn);

}  // namespace fleetpatch::state
