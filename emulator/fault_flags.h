// The emulator's command-line fault and rate-limit settings: `--fault SPEC` (repeatable), a faults
// file holding one SPEC per line, and `--rate-limit BUCKET=BURST/PER_SECOND`. Operators use them to
// rehearse throttling, server errors, connection resets and latency (docs/emulator.md).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "emulator/emulator.h"

namespace fleetpatch::emulator {

// "OP:throttle=0.2,5xx=0.05,reset=0.01,latency=20ms" (OP: an operation any emulated service has,
// or "*" for every operation). Keys: throttle, 5xx, unavailable, reset (alias drop) are
// probabilities 0..1; latency and jitter are durations ("20ms", "1.5s"; a bare number is
// milliseconds; latency_ms/jitter_ms are accepted too). kConfig naming the bad part.
Result<std::pair<std::string, FaultSpec>> ParseFaultFlag(const std::string& flag);
// A faults file: one SPEC per line as for --fault; blank lines and lines starting with '#' are
// skipped. kConfig naming file, line and the bad part; also for an unreadable file.
Result<std::vector<std::pair<std::string, FaultSpec>>> LoadFaultsFile(const std::string& path);
// "ec2-describe=100/20" (burst/per-second). kConfig naming the bad part.
Result<std::pair<std::string, RateLimit>> ParseRateLimitFlag(const std::string& flag);

}  // namespace fleetpatch::emulator
