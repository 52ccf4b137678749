#include "common/error.h"

#include "common/exit_codes.h"

namespace fleetpatch {

const char* CategoryName(ErrorCategory c) {
  switch (c) {
    case ErrorCategory::kInternal:
      return "internal";
    case ErrorCategory::kConfig:
      return "configuration";
    case ErrorCategory::kAuth:
      return "authentication";
    case ErrorCategory::kConnectivity:
      return "connectivity";
    case ErrorCategory::kPermission:
      return "permission";
    case ErrorCategory::kTimeout:
      return "timeout";
    case ErrorCategory::kValidation:
      return "validation";
    case ErrorCategory::kInterrupted:
      return "interrupted";
    case ErrorCategory::kThrottled:
      return "throttling";
    case ErrorCategory::kAws:
      return "aws";
    case ErrorCategory::kNotFound:
      return "not-found";
  }
  return "unknown";
}

std::string Error::ToString() const {
  std::string s = message;
  if (!aws_code.empty() || http_status != 0 || !request_id.empty()) {
    s += " (";
    bool first = true;
    auto add = [&](const std::string& part) {
      if (!first) s += ", ";
      s += part;
      first = false;
    };
    if (!aws_code.empty()) add("AWS code " + aws_code);
    if (http_status != 0) add("HTTP " + std::to_string(http_status));
    if (!request_id.empty()) add("request id " + request_id);
    s += ")";
  }
  return s;
}

int ExitCodeFor(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kConfig:
      return kExitConfig;
    case ErrorCategory::kAuth:
      return kExitAuth;
    case ErrorCategory::kConnectivity:
    case ErrorCategory::kThrottled:
      return kExitConnectivity;
    case ErrorCategory::kPermission:
      return kExitPermission;
    case ErrorCategory::kTimeout:
      return kExitTimeout;
    case ErrorCategory::kValidation:
    case ErrorCategory::kNotFound:
    case ErrorCategory::kAws:
      return kExitValidation;  // an AWS client error: the request was refused
    case ErrorCategory::kInterrupted:
      return kExitInterrupted;
    case ErrorCategory::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

const char* ExitCodeTable() {
  return "Exit codes:\n"
         "  0    success\n"
         "  1    finished, but some instances failed (see the reports)\n"
         "  2    usage or configuration error (nothing was done)\n"
         "  3    authentication: credentials missing, expired or invalid, or a role could not be assumed\n"
         "  4    connectivity: AWS could not be reached (network, TLS, endpoint, persistent throttling)\n"
         "  5    permission or quota: access denied, or an AWS limit was reached\n"
         "  6    timeout: a phase or a wait ran out of time\n"
         "  7    validation: nothing eligible, or a phase's prerequisite is missing\n"
         "  70   internal error (a bug: please report it)\n"
         "  130  interrupted (Ctrl-C or SIGTERM); continue with --resume\n";
}

}  // namespace fleetpatch
