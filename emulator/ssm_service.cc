// The SSM service table (JSON 1.1, X-Amz-Target AmazonSSM.*).
#include "emulator/ssm_common.h"

namespace fleetpatch::emulator {

const Service& SsmService() {
  static const Service kSsm = [] {
    Service s;
    s.name = "ssm";
    s.protocol = Protocol::kJson;
    s.target_prefix = "AmazonSSM.";
    const char* kMismatch =
        "The request signature we calculated does not match the signature you provided. Check your AWS "
        "Secret "
        "Access Key and signing method. Consult the service documentation for details.";
    s.errors = {
        {400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"},
        {400, "IncompleteSignatureException", "Authorization header is malformed"},
        {400, "UnrecognizedClientException", "The security token included in the request is invalid."},
        {400, "ExpiredTokenException", "The security token included in the request is expired"},
        {400, "InvalidSignatureException",
         "Signature expired: the request time is too far from the server time."},
        {400, "InvalidSignatureException", kMismatch},
        {400, "ThrottlingException", "Rate exceeded"},
        {500, "InternalServerError", "An internal error occurred."},
        {503, "ServiceUnavailable", "Service is unavailable. Please try again later."}};
    s.operations = {
        {"DescribeInstanceInformation", DescribeInstanceInformation, false, "ssm-read"},
        {"SendCommand", SendCommand, true, "ssm-write"},
        {"CancelCommand", CancelCommand, true, "ssm-write"},
        {"ListCommandInvocations", ListCommandInvocations, false, "ssm-read"},
        {"GetCommandInvocation", GetCommandInvocation, false, "ssm-read"},
        {"DescribeInstancePatchStates", DescribeInstancePatchStates, false, "ssm-read"},
    };
    return s;
  }();
  return kSsm;
}

}  // namespace fleetpatch::emulator
