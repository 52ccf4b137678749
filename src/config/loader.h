// Loads the workflow config and the landing-zone inventory from YAML into the structs of config.h.
//
// Every problem in a file is collected in one pass (unknown keys with a "did you mean", wrong
// types, out-of-range numbers, malformed account ids / ARNs / regions, duplicate zone names,
// missing / unreadable / empty files, YAML syntax errors, unset ${VAR} references), each located
// by file, line and column and the field path. On failure the Result holds an Error of category
// kConfig whose message is the problems, one per line, in the form
//   file:line:column: field.path: what was found; what is allowed
// No AWS call is ever made. yaml-cpp stays inside this folder.
// Thread-safety: the functions share no state; safe to call from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "config/config.h"
#include "config/env_expand.h"

namespace fleetpatch::config {

// One problem found in a file. line and column are 1-based; 0 when the problem has no position
// (e.g. the file itself does not exist).
struct Problem {
  std::string file;
  int line = 0;
  int column = 0;
  std::string path;  // e.g. "landing_zones[2].role_arn"; "" for the whole file
  std::string message;

  // "file:line:column: path: message" (position and path left out when absent).
  std::string ToString() const;
};

// The kConfig Error listing the problems, one per line.
Error ProblemsToError(const std::vector<Problem>& problems);

// The workflow config file. A `landing_zones:` path inside it is resolved relative to the file's
// directory and loaded too (its problems are reported against the inventory file).
Result<Config> LoadConfigFile(const std::filesystem::path& path, const EnvLookup& env);

// The same from text; display_name is used in problem locations and relative paths are resolved
// against base_dir.
Result<Config> LoadConfigString(const std::string& yaml, const std::string& display_name,
                                const std::filesystem::path& base_dir, const EnvLookup& env);

// A landing-zone inventory file: either a mapping {defaults: ..., landing_zones: [...]} or a bare
// list of zones. `base` supplies the defaults the file's own `defaults:` block overrides.
Result<std::vector<LandingZone>> LoadLandingZonesFile(const std::filesystem::path& path,
                                                      const ZoneDefaults& base, const EnvLookup& env);

// Same as above, but returns the problems instead of an Error (empty when the file is fine).
// With load_landing_zones false the config's `landing_zones:` key is ignored (the caller replaces
// the zones, e.g. with --landing-zones).
std::vector<Problem> CheckConfigFile(const std::filesystem::path& path, const EnvLookup& env, Config* out,
                                     bool load_landing_zones = true);
std::vector<Problem> CheckLandingZonesFile(const std::filesystem::path& path, const ZoneDefaults& base,
                                           const EnvLookup& env, std::vector<LandingZone>* out);

}  // namespace fleetpatch::config
