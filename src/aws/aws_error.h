// AWS error classification: turns the error an AWS service answered (as decoded by the protocol
// engine) into a fleetpatch Error with a category, a retryable flag and a message that says what
// the user should check. The one place that knows which AWS error codes mean throttling, transient
// failure, bad credentials, missing permissions or exhausted quotas.
// Thread-safety: pure functions over plain values.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"

namespace fleetpatch::aws {

// A decoded AWS error response. Produced by the protocol engine from the body and headers.
struct AwsErrorInfo {
  std::string code;        // e.g. "RequestLimitExceeded"; may be empty (a bare 503 from a proxy)
  std::string message;     // AWS's own message; may be empty
  std::string request_id;  // x-amzn-RequestId / <RequestID>; may be empty
  int http_status = 0;
};

// Why a failure happened, as far as retrying is concerned.
enum class AwsErrorKind {
  kThrottling,  // the caller is going too fast: retry with backoff
  kTransient,   // the service had a transient problem (5xx, RequestTimeout): retry
  kAuth,        // credentials are missing, invalid or expired: do not retry
  kPermission,  // authenticated but not allowed: do not retry
  kQuota,       // an account quota/limit (not a rate) is exhausted: do not retry
  kOther,       // any other client error (validation, not found, ...): do not retry
};

// Strips protocol decoration from an error code: "com.amazonaws.ssm#InvalidInstanceId" and
// "InvalidInstanceId:http://internal..." both become "InvalidInstanceId"; "Sender" prefixes stay.
std::string NormalizeAwsErrorCode(std::string_view code);

AwsErrorKind ClassifyAwsErrorKind(std::string_view code, int http_status);
bool IsThrottlingErrorCode(std::string_view code);
bool IsTransientErrorCode(std::string_view code);

// AWS's message reduced to what is safe and useful to show: the first line, without any echoed
// canonical request / string-to-sign (which can contain a session token), at most 512 characters.
std::string SanitizeAwsMessage(std::string_view message);

// The Error for a failed call. `action` names what was attempted, e.g. "ec2:DescribeInstances";
// it appears in permission messages (the IAM action to grant). Category: kThrottled, kAuth,
// kPermission (also quotas, with "quota" in the message) or kAws; retryable for throttling and
// transient errors only.
Error ClassifyAwsError(const AwsErrorInfo& info, std::string_view action = {});

}  // namespace fleetpatch::aws
