#include "aws/aws_error.h"

#include <algorithm>
#include <array>

namespace fleetpatch::aws {
namespace {

// The throttling codes of botocore's standard retry mode plus EC2's own.
constexpr std::array<std::string_view, 15> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "RequestLimitExceededException",
};

constexpr std::array<std::string_view, 7> kTransientCodes = {
    "RequestTimeout",  "RequestTimeoutException", "InternalError", "InternalFailure",
    "ServiceUnavailable", "InternalServerError", "IDPCommunicationError",
};

constexpr std::array<std::string_view, 10> kAuthCodes = {
    "AuthFailure",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "ExpiredTokenException",
    "IncompleteSignature",
    "InvalidSignatureException",
    "UnrecognizedClientException",
    "MissingAuthenticationToken",
    "RequestExpired",
};

constexpr std::array<std::string_view, 5> kPermissionCodes = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OptInRequired", "UnauthorizedAccess",
};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& set, std::string_view code) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

bool IsQuotaCode(std::string_view code) {
  // Account limits (InstanceLimitExceeded, ResourceLimitExceeded, VolumeLimitExceeded,
  // ServiceQuotaExceededException, AMIQuotaExceeded...): waiting does not help, a quota increase does.
  return code.find("LimitExceeded") != std::string_view::npos ||
         code.find("QuotaExceeded") != std::string_view::npos || code == "MaxSpotInstanceCountExceeded";
}

std::string AuthHint(std::string_view code) {
  if (code == "ExpiredToken" || code == "ExpiredTokenException") {
    return "the session credentials have expired: refresh them (aws sso login, re-run the command that "
           "issued the session token, or check the role's maximum session duration)";
  }
  if (code == "RequestExpired") {
    return "AWS says the request is too old or too far in the future: the system clock is probably wrong "
           "(signed requests must be within 5 minutes of AWS time); synchronise the clock (NTP)";
  }
  if (code == "SignatureDoesNotMatch" || code == "InvalidSignatureException" || code == "IncompleteSignature") {
    return "AWS rejected the request signature: check that the secret access key belongs to the access key "
           "id in use (profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and that the system clock is correct";
  }
  if (code == "MissingAuthenticationToken") {
    return "the request carried no credentials: configure credentials (a profile, environment variables, "
           "or an instance role)";
  }
  return "AWS did not accept the credentials: check that the access key id is valid and active, that the "
         "session token (if any) belongs to it, and that the credentials are for this partition "
         "(aws, aws-cn, aws-us-gov); `aws sts get-caller-identity` with the same profile shows which "
         "identity they resolve to";
}

std::string PermissionHint(std::string_view code, std::string_view action) {
  if (code == "OptInRequired") {
    return "the account is not subscribed to this service or has not enabled this region: enable the "
           "region (opt-in regions) or the service for the account, or skip the region";
  }
  std::string what = action.empty() ? std::string("this operation") : std::string(action);
  return "the identity is not allowed to perform " + what + ": grant it in the IAM policy of the role or "
         "user in use, and check service control policies and permission boundaries";
}

}  // namespace

std::string NormalizeAwsErrorCode(std::string_view code) {
  if (auto hash = code.rfind('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (auto colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  while (!code.empty() && (code.front() == ' ' || code.front() == '\t')) code.remove_prefix(1);
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t')) code.remove_suffix(1);
  return std::string(code);
}

bool IsThrottlingErrorCode(std::string_view code) { return Contains(kThrottlingCodes, code); }

bool IsTransientErrorCode(std::string_view code) { return Contains(kTransientCodes, code); }

AwsErrorKind ClassifyAwsErrorKind(std::string_view code, int http_status) {
  if (IsThrottlingErrorCode(code)) return AwsErrorKind::kThrottling;
  if (Contains(kAuthCodes, code)) return AwsErrorKind::kAuth;
  if (Contains(kPermissionCodes, code)) return AwsErrorKind::kPermission;
  if (IsTransientErrorCode(code)) return AwsErrorKind::kTransient;
  if (IsQuotaCode(code)) return AwsErrorKind::kQuota;
  if (http_status >= 500 && http_status <= 599) return AwsErrorKind::kTransient;
  if (http_status == 429) return AwsErrorKind::kThrottling;
  if (code.empty() && (http_status == 401 || http_status == 403)) {
    return http_status == 401 ? AwsErrorKind::kAuth : AwsErrorKind::kPermission;
  }
  return AwsErrorKind::kOther;
}

std::string SanitizeAwsMessage(std::string_view message) {
  std::string_view m = message;
  if (auto nl = m.find_first_of("\r\n"); nl != std::string_view::npos) m = m.substr(0, nl);
  for (std::string_view marker : {"The Canonical String", "canonical string", "String-to-Sign", "StringToSign",
                                  "string to sign", "X-Amz-Security-Token", "x-amz-security-token"}) {
    if (auto at = m.find(marker); at != std::string_view::npos) m = m.substr(0, at);
  }
  std::string out(m);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\'' || out.back() == '\t')) out.pop_back();
  if (out.size() > 512) out = out.substr(0, 509) + "...";
  return out;
}

Error ClassifyAwsError(const AwsErrorInfo& info, std::string_view action) {
  const std::string code = NormalizeAwsErrorCode(info.code);
  const std::string aws_message = SanitizeAwsMessage(info.message);
  const std::string said = aws_message.empty() ? std::string() : " (AWS: " + aws_message + ")";
  const std::string what = action.empty() ? std::string("the AWS call") : std::string(action);

  Error e;
  e.aws_code = code;
  e.http_status = info.http_status;
  e.request_id = info.request_id;
  switch (ClassifyAwsErrorKind(code, info.http_status)) {
    case AwsErrorKind::kThrottling:
      e.category = ErrorCategory::kThrottled;
      e.retryable = true;
      e.message = "AWS throttled " + what + said +
                  "; it is retried with backoff, and if it persists lower the concurrency or request a higher "
                  "API rate limit";
      break;
    case AwsErrorKind::kTransient:
      e.category = ErrorCategory::kAws;
      e.retryable = true;
      e.message = "AWS had a transient failure in " + what + said + "; it is retried with backoff";
      break;
    case AwsErrorKind::kAuth:
      e.category = ErrorCategory::kAuth;
      e.message = what + " failed: " + AuthHint(code) + said;
      break;
    case AwsErrorKind::kPermission:
      e.category = ErrorCategory::kPermission;
      e.message = what + " was denied: " + PermissionHint(code, action) + said;
      break;
    case AwsErrorKind::kQuota:
      e.category = ErrorCategory::kPermission;
      e.message = what + " hit an account quota" + said +
                  ": free up resources or request a quota increase (Service Quotas console)";
      break;
    case AwsErrorKind::kOther:
      e.category = ErrorCategory::kAws;
      e.message = what + " failed" + (aws_message.empty() ? std::string() : ": " + aws_message);
      break;
  }
  return e;
}

}  // namespace fleetpatch::aws
