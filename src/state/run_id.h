// Run ids: "20261125-194200-3f9a1c", the UTC creation time to the second and 24 random bits.
// They sort by creation time as plain strings, and the suffix keeps two runs started in the same
// second apart.
// Thread-safety: NewRunId(time, random) is pure; NewRunId(Clock&) draws from a thread-local engine.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/clock.h"

namespace fleetpatch::state {

// Deterministic form: the low 24 bits of `random` become the six hex digits of the suffix.
std::string NewRunId(std::chrono::system_clock::time_point now, uint32_t random);
// Uses clock.Now() and a randomly seeded generator.
std::string NewRunId(const Clock& clock);
// True for strings of the form NewRunId produces (used to validate --run and `show RUN`).
bool IsValidRunId(const std::string& id);

}  // namespace fleetpatch::state
