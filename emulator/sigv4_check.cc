#include "emulator/sigv4_check.h"

#include "aws/sigv4.h"

namespace fleetpatch::emulator {

SigV4Check CheckSigV4(const Request& request, const std::string& secret_access_key,
                      std::chrono::system_clock::time_point now, std::chrono::seconds max_skew) {
  aws::ReceivedRequest r;
  r.method = request.method;
  r.target = request.path + (request.query.empty() ? "" : "?" + request.query);
  r.headers = request.headers;
  r.body = request.body;
  aws::VerifyOptions options;
  options.now = now;
  options.max_skew = max_skew;
  auto verified = aws::VerifyRequest(r, secret_access_key, options);
  if (verified.ok()) return SigV4Check::kValid;
  const std::string& code = verified.error().aws_code;
  if (code == "RequestExpired") return SigV4Check::kClockSkew;
  if (code == "IncompleteSignature" || code == "MissingAuthenticationToken") return SigV4Check::kMalformed;
  return SigV4Check::kSignatureMismatch;
}

}  // namespace fleetpatch::emulator
