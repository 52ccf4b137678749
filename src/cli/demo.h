// `fleetpatch demo`: the whole workflow (scan, backup, precheck, patch, reports) against the
// built-in demo fleet served by the AWS emulator on 127.0.0.1, through the same HTTP client stack
// (CurlTransport, SigV4, retries, rate budgets) as a real run. The demo fleet fails some instances
// on purpose (an AMI that fails, a patch that fails, one that hangs past its timeout, offline SSM
// agents ...), so "ran as designed" exits 0 and says how many failures were expected.
// Thread-safety: runs on the calling thread (the emulator serves on its own threads meanwhile).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "cli/commands.h"
#include "emulator/emulator.h"

namespace fleetpatch::cli {

struct DemoSettings {
  // Simulated seconds per real second: a 600 s AMI takes 1 s, a 420 s patch 0.7 s. Default: 600.
  double time_scale = 600;
  // The AMI and patch timeouts are the config defaults (1800 s, 3600 s) compressed by time_scale
  // (rounded up to whole seconds), so that the outcomes the fleet designs around those defaults
  // (an AMI slower than 30 min, a patch that hangs) come out the same, in seconds.
  // The SSM connection timeout: how long the precheck and the postcheck wait for an agent to be
  // Online. The demo's offline agents never come back, so it bounds the demo's length (two
  // unreachable postchecks and a rollback's postcheck wait for it); SendCommand's delivery timeout
  // is clamped to SSM's 30 s minimum on its own (AwsZoneApi::SendCommand).
  std::chrono::seconds ssm_timeout{5};
  std::chrono::milliseconds poll_interval{250};
  // Called with the emulator after the run, before it stops (tests read the request log here).
  std::function<void(const emulator::Emulator&)> after_run;
};

// The default locations, relative to the working directory.
inline constexpr const char* kDemoOutputDir = "fleetpatch-demo/reports";
inline constexpr const char* kDemoStatePath = "fleetpatch-demo/state.db";

// Runs the demo with `settings`; --output-dir, --state, --format and --output from `options` apply.
// Returns 0 when the run went as designed (also with the fleet's deliberate instance failures),
// otherwise the run's exit code (e.g. a connectivity problem).
Result<int> RunDemo(const Options& options, const DemoSettings& settings, Context& ctx);

}  // namespace fleetpatch::cli
