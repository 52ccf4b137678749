#include "aws/aws_error.h"

#include <gtest/gtest.h>

namespace fleetpatch::aws {
namespace {

Error Classify(const std::string& code, int status, const std::string& message = "msg",
               std::string_view action = "ec2:DescribeInstances") {
  return ClassifyAwsError({code, message, "req-1", status}, action);
}

TEST(AwsErrorTest, ThrottlingCodesAreRetryableThrottled) {
  for (const char* code :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException"}) {
    SCOPED_TRACE(code);
    Error e = Classify(code, 400);
    EXPECT_EQ(e.category, ErrorCategory::kThrottled);
    EXPECT_TRUE(e.retryable);
    EXPECT_EQ(e.aws_code, code);
    EXPECT_EQ(e.http_status, 400);
    EXPECT_EQ(e.request_id, "req-1");
    EXPECT_TRUE(IsThrottlingErrorCode(code));
  }
  EXPECT_EQ(Classify("", 429).category, ErrorCategory::kThrottled);
}

TEST(AwsErrorTest, TransientCodesAndAny5xxAreRetryable) {
  for (const char* code : {"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
                           "ServiceUnavailable"}) {
    SCOPED_TRACE(code);
    Error e = Classify(code, 400);
    EXPECT_EQ(e.category, ErrorCategory::kAws);
    EXPECT_TRUE(e.retryable);
  }
  for (int status : {500, 501, 502, 503, 504, 599}) {
    SCOPED_TRACE(status);
    Error e = Classify("", status, "");
    EXPECT_TRUE(e.retryable);
    EXPECT_EQ(e.http_status, status);
    // An unknown code with a 5xx status is still transient.
    EXPECT_TRUE(Classify("SomethingOdd", status).retryable);
  }
}

TEST(AwsErrorTest, AuthCodesAreNotRetryableAndSayWhatToCheck) {
  for (const char* code : {"AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken",
                           "ExpiredTokenException", "IncompleteSignature", "InvalidSignatureException",
                           "UnrecognizedClientException", "MissingAuthenticationToken", "RequestExpired"}) {
    SCOPED_TRACE(code);
    Error e = Classify(code, 403);
    EXPECT_EQ(e.category, ErrorCategory::kAuth);
    EXPECT_FALSE(e.retryable);
  }
  EXPECT_NE(Classify("RequestExpired", 400).message.find("clock"), std::string::npos);
  EXPECT_NE(Classify("SignatureDoesNotMatch", 403).message.find("clock"), std::string::npos);
  EXPECT_NE(Classify("SignatureDoesNotMatch", 403).message.find("secret access key"), std::string::npos);
  EXPECT_NE(Classify("ExpiredToken", 400).message.find("expired"), std::string::npos);
  EXPECT_NE(Classify("InvalidClientTokenId", 403).message.find("access key id"), std::string::npos);
  EXPECT_NE(Classify("AuthFailure", 401).message.find("credentials"), std::string::npos);
}

TEST(AwsErrorTest, PermissionCodesNameTheAction) {
  for (const char* code : {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}) {
    SCOPED_TRACE(code);
    Error e = Classify(code, 403, "You are not authorized", "ssm:SendCommand");
    EXPECT_EQ(e.category, ErrorCategory::kPermission);
    EXPECT_FALSE(e.retryable);
    EXPECT_NE(e.message.find("ssm:SendCommand"), std::string::npos) << e.message;
    EXPECT_NE(e.message.find("IAM"), std::string::npos) << e.message;
  }
  Error opt = Classify("OptInRequired", 401);
  EXPECT_EQ(opt.category, ErrorCategory::kPermission);
  EXPECT_NE(opt.message.find("region"), std::string::npos);
}

TEST(AwsErrorTest, QuotasArePermissionErrorsThatSayQuota) {
  for (const char* code : {"InstanceLimitExceeded", "ResourceLimitExceeded", "AMIQuotaExceeded",
                           "ServiceQuotaExceededException", "VolumeLimitExceeded"}) {
    SCOPED_TRACE(code);
    Error e = Classify(code, 400);
    EXPECT_EQ(e.category, ErrorCategory::kPermission);
    EXPECT_FALSE(e.retryable);
    EXPECT_NE(e.message.find("quota"), std::string::npos);
  }
  // Rate limits that happen to end in LimitExceeded stay throttling.
  EXPECT_EQ(Classify("RequestLimitExceeded", 503).category, ErrorCategory::kThrottled);
}

TEST(AwsErrorTest, OtherErrorsKeepTheAwsMessage) {
  Error e = Classify("InvalidInstanceID.NotFound", 400, "The instance ID 'i-123' does not exist");
  EXPECT_EQ(e.category, ErrorCategory::kAws);
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("i-123"), std::string::npos);
  EXPECT_NE(e.message.find("ec2:DescribeInstances"), std::string::npos);
  EXPECT_NE(e.ToString().find("InvalidInstanceID.NotFound"), std::string::npos);
  EXPECT_NE(e.ToString().find("req-1"), std::string::npos);
}

TEST(AwsErrorTest, NormalizesProtocolDecoratedCodes) {
  EXPECT_EQ(NormalizeAwsErrorCode("com.amazonaws.ssm#ThrottlingException"), "ThrottlingException");
  EXPECT_EQ(NormalizeAwsErrorCode("ThrottlingException:http://internal.amazon.com/coral/"), "ThrottlingException");
  EXPECT_EQ(NormalizeAwsErrorCode(" InvalidInstanceId "), "InvalidInstanceId");
  EXPECT_EQ(Classify("com.amazonaws.ssm#ThrottlingException", 400).category, ErrorCategory::kThrottled);
  EXPECT_EQ(Classify("com.amazonaws.ssm#ThrottlingException", 400).aws_code, "ThrottlingException");
}

TEST(AwsErrorTest, MessagesNeverEchoTheCanonicalRequest) {
  std::string aws =
      "The request signature we calculated does not match the signature you provided. The Canonical String for "
      "this request should have been\n'POST\n/\n\nhost:sts.amazonaws.com\nx-amz-security-token:FQoGZXIvYXdzT0KEN\n'";
  Error e = Classify("SignatureDoesNotMatch", 403, aws);
  EXPECT_EQ(e.message.find("FQoGZXIvYXdzT0KEN"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("Canonical"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("does not match"), std::string::npos) << e.message;
  EXPECT_EQ(SanitizeAwsMessage("a\nb"), "a");
  EXPECT_EQ(SanitizeAwsMessage(std::string(2000, 'x')).size(), 512u);
}

}  // namespace
}  // namespace fleetpatch::aws
