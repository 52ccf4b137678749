// Environment lookup as an injectable function, so code that honours environment variables
// (endpoint overrides, credentials, retry settings) stays testable without touching the process
// environment. Only ProcessEnv() reads the real environment.
// Thread-safety: ProcessEnv() reads with getenv and is safe as long as nothing calls setenv
// concurrently (fleetpatch never does after start-up); MapEnv lookups are read-only.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace fleetpatch {

// Returns the value of an environment variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment.
EnvLookup ProcessEnv();
// A fixed environment (tests, or a snapshot taken at start-up).
EnvLookup MapEnv(std::map<std::string, std::string> vars);

}  // namespace fleetpatch
