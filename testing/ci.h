// Skipping in CI: CI (`CI=true`, set by .ci/run's environment) installs every tool the tests use
// (xmllint, chromium, python3-jsonschema, awscli), so there a missing tool is a broken machine and
// the test must fail; on a developer's machine it may skip. Golden files are never rewritten in CI.
// Thread-safety: reads the environment; safe while nothing calls setenv.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace fleetpatch::testing {

// True when the CI environment variable is "true".
inline bool RunningInCi() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

}  // namespace fleetpatch::testing

// In a test body or SetUp: when `present` is false, fails under CI=true and skips otherwise, with
// `why` (a streamable message) as the reason. Returns from the enclosing void function either way.
#define FP_REQUIRE_OR_SKIP_OUTSIDE_CI(present, why)                                 \
  do {                                                                              \
    if (!(present)) {                                                               \
      if (::fleetpatch::testing::RunningInCi()) {                                   \
        FAIL() << why << " (CI=true: CI installs it, so its absence is a failure)"; \
      } else {                                                                      \
        GTEST_SKIP() << why;                                                        \
      }                                                                             \
    }                                                                               \
  } while (0)
