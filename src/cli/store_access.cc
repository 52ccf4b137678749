#include "cli/store_access.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "common/strings.h"
#include "state/postgres_conn.h"
#include "state/postgres_state_store.h"
#include "state/sqlite_state_store.h"

namespace fleetpatch::cli {

std::string StateLocationFor(const std::string& state_flag, const config::StateConfig& state,
                             const config::EnvLookup& env) {
  if (!state_flag.empty()) return state_flag;
  if (auto url = env(kStateUrlEnv); url && !url->empty()) return *url;
  if (!state.url.empty()) return state.url;
  return state.path;
}

Result<std::string> StatePathFor(const Options& options, const config::EnvLookup& env) {
  config::StateConfig state;  // the defaults
  if (options.state_path.empty() && (!options.config_path.empty() || !options.landing_zones_path.empty())) {
    FP_ASSIGN_OR_RETURN(config::Config c, EffectiveConfig(options, env));
    state = c.state;
  }
  return StateLocationFor(options.state_path, state, env);
}

std::string DisplayLocation(const std::string& location) { return state::RedactPostgresUrl(location); }

Result<std::unique_ptr<state::StateStore>> OpenStore(const std::string& location, const Clock& clock) {
  if (state::IsPostgresUrl(location)) {
    FP_ASSIGN_OR_RETURN(auto store, state::PostgresStateStore::Open(location, clock));
    return std::unique_ptr<state::StateStore>(std::move(store));
  }
  FP_ASSIGN_OR_RETURN(auto store, state::SqliteStateStore::Open(location, clock));
  return std::unique_ptr<state::StateStore>(std::move(store));
}

Result<std::unique_ptr<state::StateStore>> OpenStoreReadOnly(const std::string& location,
                                                             const Clock& clock) {
  if (state::IsPostgresUrl(location)) {
    state::PostgresStateStoreOptions o;
    o.read_only = true;
    auto store = state::PostgresStateStore::Open(location, clock, o);
    if (!store.ok() && store.error().category == ErrorCategory::kNotFound) {
      return Error::Validation(store.error().message);
    }
    if (!store.ok()) return store.error();
    return std::unique_ptr<state::StateStore>(std::move(store).value());
  }
  std::error_code ec;
  // Checked here rather than relying on SQLite so that a typo in --state never creates a file.
  if (!std::filesystem::exists(location, ec)) {
    return Error::Validation("no state store at " + location +
                             ": no run has been recorded there yet (a workflow run creates it), or give the "
                             "right one with --state PATH");
  }
  state::SqliteStateStoreOptions o;
  o.read_only = true;
  auto store = state::SqliteStateStore::Open(location, clock, o);
  if (!store.ok() && store.error().category == ErrorCategory::kNotFound) {
    return Error::Validation("no state store at " + location + ": " + store.error().message);
  }
  if (!store.ok()) return store.error();
  return std::unique_ptr<state::StateStore>(std::move(store).value());
}

Result<RunInfo> ResolveRun(state::StateStore& store, const std::string& run, const std::string& location) {
  std::string lower = Lower(run);
  Result<RunInfo> r = lower == "latest" ? store.LatestRun() : store.GetRun(run);
  if (!r.ok() && r.error().category == ErrorCategory::kNotFound) {
    const std::string shown = DisplayLocation(location);
    if (lower == "latest") return Error::Validation("the state store " + shown + " holds no run yet");
    return Error::Validation("no run \"" + run + "\" in " + shown +
                             ": `fleetpatch runs` lists the recorded runs");
  }
  return r;
}

}  // namespace fleetpatch::cli
