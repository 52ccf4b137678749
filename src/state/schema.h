// The state store's schema and its ordered migrations. The version lives in PRAGMA user_version;
// migration N takes a store from version N-1 to N inside one transaction. A file with no tables is
// migrated from 0; a store newer than kSchemaVersion is refused (an older fleetpatch must not
// write to a layout it does not know). PRAGMA application_id marks the file as fleetpatch's.
// Thread-safety: functions operate on the Db they are given; callers serialise.
#pragma once

#include <cstdint>
#include <vector>

#include "common/error.h"
#include "state/sqlite_util.h"

namespace fleetpatch::state {

// 'FPST' (FleetPatch STate), so `file` and other tools can tell what the database is.
inline constexpr int32_t kApplicationId = 0x46505354;

struct Migration {
  int version;      // the user_version after this migration
  const char* sql;  // DDL only; runs in the migration's transaction
};

// All migrations, in order. Append new ones; never edit a released one.
const std::vector<Migration>& Migrations();
// The version this build writes (the last migration's version).
int SchemaVersion();

// Reads only: refuses a store newer than SchemaVersion() and a non-empty database that is not a
// fleetpatch store. Run before anything else touches the file (even before switching it to WAL).
Status CheckCompatible(Db& db);
// Brings `db` up to SchemaVersion(). Refuses a newer store and a non-empty database that is not a
// fleetpatch store, with a message naming the path and what to do.
Status Migrate(Db& db);
// For read-only use: checks the store is a fleetpatch store at exactly SchemaVersion() without
// writing anything.
Status CheckSchema(Db& db);

}  // namespace fleetpatch::state
