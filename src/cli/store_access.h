// What the read-only subcommands (runs, show, report) share: where the state store is, opening it
// without creating or migrating anything, and resolving a RUN argument ("latest" or an id).
// Thread-safety: plain functions; the returned store is thread-safe (see SqliteStateStore).
#pragma once

#include <memory>
#include <string>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/run_model.h"
#include "state/sqlite_state_store.h"

namespace fleetpatch::cli {

// --state, else the --config file's state.path, else the default (.fleetpatch/state.db).
Result<std::string> StatePathFor(const Options& options, const config::EnvLookup& env);

// Opens the store read-only. A missing store is a kValidation error that names the path and says
// how a store comes to exist; nothing is created.
Result<std::unique_ptr<state::SqliteStateStore>> OpenStoreReadOnly(const std::string& path,
                                                                   const Clock& clock);

// "latest" (any case) is the newest run; anything else is a run id. Unknown ids are kValidation
// errors pointing to `fleetpatch runs`.
Result<RunInfo> ResolveRun(state::StateStore& store, const std::string& run, const std::string& path);

}  // namespace fleetpatch::cli
