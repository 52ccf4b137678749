// The postcheck's pure core: compares what the precheck script measured on an instance before its
// patch with what it measures after, plus the EC2 status checks and the SSM agent, and gives the
// verdict healthy / degraded (each regression named) / unreachable.
// Rules: every critical service that was active before is active after; both status checks are ok
// and the agent is Online; every disk is within the precheck's thresholds (a disk that was already
// outside them before is not a regression unless it got worse).
// Thread-safe (pure functions).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "workflow/precheck_logic.h"

namespace fleetpatch::workflow {

struct PostcheckObservation {
  std::string ping_status;    // SSM agent: Online | ConnectionLost | Inactive
  std::string system_status;  // EC2 DescribeInstanceStatus
  std::string instance_status;
  // The precheck script's measurements after the patch; nullopt when the script could not run
  // or its output could not be read (the instance is then unreachable).
  std::optional<PrecheckMeasurements> after;
  std::string unreachable_reason;  // why `after` is missing (timed out, agent lost, ...)
};

// status is kHealthy, kDegraded or kUnreachable (run_model.h spells them).
struct PostcheckVerdict {
  PostcheckStatus status = PostcheckStatus::kUnreachable;
  std::vector<std::string> regressions;  // degraded: one line per regression; unreachable: the reason
};

// `before` is the instance's precheck measurement (nullopt: no precheck in this run, so only the
// absolute checks apply: status checks, agent, disks within thresholds, critical services active).
PostcheckVerdict ComparePostcheck(const std::optional<PrecheckMeasurements>& before,
                                  const PostcheckObservation& now, const PrecheckThresholds& thresholds);

}  // namespace fleetpatch::workflow
