#include "cli/store_access.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include "common/strings.h"

namespace fleetpatch::cli {

Result<std::string> StatePathFor(const Options& options, const config::EnvLookup& env) {
  if (!options.state_path.empty()) return options.state_path;
  if (!options.config_path.empty() || !options.landing_zones_path.empty()) {
    FP_ASSIGN_OR_RETURN(config::Config c, EffectiveConfig(options, env));
    return c.state.path;
  }
  return std::string(state::kDefaultStatePath);
}

Result<std::unique_ptr<state::SqliteStateStore>> OpenStoreReadOnly(const std::string& path,
                                                                   const Clock& clock) {
  std::error_code ec;
  // Checked here rather than relying on SQLite so that a typo in --state never creates a file.
  if (!std::filesystem::exists(path, ec)) {
    return Error::Validation("no state store at " + path +
                             ": no run has been recorded there yet (a workflow run creates it), or give the "
                             "right one with --state PATH");
  }
  state::SqliteStateStoreOptions o;
  o.read_only = true;
  auto store = state::SqliteStateStore::Open(path, clock, o);
  if (!store.ok() && store.error().category == ErrorCategory::kNotFound) {
    return Error::Validation("no state store at " + path + ": " + store.error().message);
  }
  return store;
}

Result<RunInfo> ResolveRun(state::StateStore& store, const std::string& run, const std::string& path) {
  std::string lower = Lower(run);
  Result<RunInfo> r = lower == "latest" ? store.LatestRun() : store.GetRun(run);
  if (!r.ok() && r.error().category == ErrorCategory::kNotFound) {
    if (lower == "latest") return Error::Validation("the state store " + path + " holds no run yet");
    return Error::Validation("no run \"" + run + "\" in " + path +
                             ": `fleetpatch runs` lists the recorded runs");
  }
  return r;
}

}  // namespace fleetpatch::cli
