// Environment-variable references in config string values: ${VAR}, ${VAR:-default} (default when
// VAR is unset or empty), and $${ for a literal "${". Any other '$' is kept as is.
// The environment is injected (EnvLookup) so tests and the CLI decide what it is.
// Thread-safety: pure functions; ProcessEnv() reads the process environment (getenv).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/env.h"

namespace fleetpatch::config {

// Returns the value of a variable, or nullopt when it is unset.
using ::fleetpatch::EnvLookup;  // common/env.h

// Expands every reference in `in` into *out. On failure returns false and sets *error to a sentence
// naming the variable (e.g. "environment variable FP_EXTERNAL_ID is not set (referenced as ...)").
bool ExpandEnv(const std::string& in, const EnvLookup& env, std::string* out, std::string* error);

}  // namespace fleetpatch::config
