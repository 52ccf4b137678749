// The reboot wait's pure core: after a patch command with RebootIfNeeded, is the instance back?
// Back means the SSM agent is Online again and both EC2 status checks are ok (what
// DescribeInstanceStatus reports); until `timeouts.reboot` has passed since the command ended the
// instance is still coming back, after it the instance is `failed` with the reason.
// Thread-safe (pure functions).
#pragma once

#include <chrono>
#include <string>

namespace fleetpatch::workflow {

// Default for config timeouts.reboot: 15 minutes.
inline constexpr std::chrono::seconds kDefaultRebootTimeout{15 * 60};

struct RebootObservation {
  std::string ping_status;      // SSM: Online | ConnectionLost | Inactive | "" (not registered)
  std::string instance_state;   // EC2: running | stopped | ...
  std::string system_status;    // ok | impaired | initializing | insufficient-data | not-applicable
  std::string instance_status;  // same vocabulary
};

enum class RebootVerdict { kBack, kWaiting, kFailed };

struct RebootDecision {
  RebootVerdict verdict = RebootVerdict::kWaiting;
  std::string reason;  // kFailed: what was still wrong at the deadline; kWaiting: what is awaited
};

// `elapsed` is the time since the patch command ended. An instance that is no longer running
// (stopped, terminated) fails at once: it will not come back by itself.
RebootDecision EvaluateReboot(const RebootObservation& now, std::chrono::seconds elapsed,
                              std::chrono::seconds timeout = kDefaultRebootTimeout);

}  // namespace fleetpatch::workflow
