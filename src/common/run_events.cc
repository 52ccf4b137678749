#include "common/run_events.h"

namespace fleetpatch {

const char* HaltReasonName(HaltReason r) {
  switch (r) {
    case HaltReason::kCanaryFailed:
      return "canary_failed";
    case HaltReason::kErrorBudgetSpent:
      return "error_budget_spent";
    case HaltReason::kWindowClosed:
      return "window_closed";
  }
  return "?";
}

std::vector<std::string> NotificationEventNames() {
  return {kRunFinishedEvent, kRolloutHaltedEvent, kRollbackDoneEvent, kInstancesInStandbyEvent};
}

}  // namespace fleetpatch
