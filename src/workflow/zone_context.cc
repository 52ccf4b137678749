#include "workflow/zone_context.h"

namespace fleetpatch::workflow {

ProblemInfo ToProblem(const Error& e, std::string code) {
  if (code.empty()) code = e.aws_code;
  if (code.empty()) {
    switch (e.category) {
      case ErrorCategory::kAuth:
        code = "AuthenticationFailed";
        break;
      case ErrorCategory::kConnectivity:
        code = "ConnectionFailed";
        break;
      case ErrorCategory::kTimeout:
        code = "TimedOut";
        break;
      case ErrorCategory::kPermission:
        code = "AccessDenied";
        break;
      case ErrorCategory::kThrottled:
        code = "Throttled";
        break;
      case ErrorCategory::kConfig:
        code = "ConfigurationError";
        break;
      default:
        code = "Error";
        break;
    }
  }
  return {CategoryName(e.category), code, e.ToString()};
}

Error InZone(Error e, const std::string& zone) {
  e.message = "landing zone '" + zone + "': " + e.message;
  return e;
}

bool TerminalInvocation(const std::string& s) {
  return s == "Success" || s == "Failed" || s == "Cancelled" || s == "TimedOut" || s == "DeliveryTimedOut" ||
         s == "Undeliverable" || s == "Terminated" || s == "InvalidPlatform" || s == "AccessDenied" ||
         s == "ExecutionTimedOut";
}

bool Undelivered(const std::string& s) {
  return s == "DeliveryTimedOut" || s == "Undeliverable" || s == "Terminated";
}

}  // namespace fleetpatch::workflow
