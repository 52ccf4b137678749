// Which state store a command uses and how it is opened: the SQLite file (the embedded default) or
// a shared PostgreSQL database (docs/team.md). Also resolving a RUN argument ("latest" or an id).
// Thread-safety: plain functions; the returned stores are thread-safe (see state_store.h).
#pragma once

#include <memory>
#include <string>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/run_model.h"
#include "config/config.h"
#include "state/state_store.h"

namespace fleetpatch::cli {

// The environment variable that names a shared store (a postgresql:// URL).
inline constexpr const char* kStateUrlEnv = "FLEETPATCH_STATE_URL";

// Where the state store is: a file path or a postgresql:// URL. Precedence: --state, then
// FLEETPATCH_STATE_URL, then the config's state.url, then its state.path (default
// .fleetpatch/state.db).
std::string StateLocationFor(const std::string& state_flag, const config::StateConfig& state,
                             const config::EnvLookup& env);
// The same for the read-only commands, which load the config only when one is given.
Result<std::string> StatePathFor(const Options& options, const config::EnvLookup& env);
// The location as it may be shown: a URL's password replaced by "***".
std::string DisplayLocation(const std::string& location);

// Opens (creating and migrating when needed) the store at `location` for a workflow run.
Result<std::unique_ptr<state::StateStore>> OpenStore(const std::string& location, const Clock& clock);

// Opens the store read-only. A missing store is a kValidation error that names the location and
// says how a store comes to exist; nothing is created.
Result<std::unique_ptr<state::StateStore>> OpenStoreReadOnly(const std::string& location, const Clock& clock);

// "latest" (any case) is the newest run; anything else is a run id. Unknown ids are kValidation
// errors pointing to `fleetpatch runs`. `location` is only shown (redacted).
Result<RunInfo> ResolveRun(state::StateStore& store, const std::string& run, const std::string& location);

}  // namespace fleetpatch::cli
