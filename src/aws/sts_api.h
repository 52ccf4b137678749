// StsApi: the two STS calls the credential providers need (AssumeRole, AssumeRoleWithWebIdentity).
// An interface so the credentials code does not depend on the STS client (the lead wires the real
// one) and tests can use a fake. Errors should be kAuth/kPermission with the AWS code when STS
// answered, kConnectivity/kTimeout when it could not be reached.
// Thread-safety: implementations must allow concurrent calls.
#pragma once

#include <string>

#include "aws/credentials.h"
#include "common/error.h"

namespace fleetpatch::aws {

struct AssumeRoleParams {
  std::string role_arn;
  std::string session_name;
  std::string external_id;  // empty: not sent
  int duration_s = 3600;
};

class StsApi {
 public:
  virtual ~StsApi() = default;
  // Calls sts:AssumeRole signed with `source` in `region`.
  virtual Result<Credentials> AssumeRole(const Credentials& source, const std::string& region,
                                         const AssumeRoleParams& params) = 0;
  // Calls sts:AssumeRoleWithWebIdentity (unsigned) with the OIDC `token`.
  virtual Result<Credentials> AssumeRoleWithWebIdentity(const std::string& region,
                                                        const std::string& role_arn,
                                                        const std::string& session_name,
                                                        const std::string& token) = 0;
};

}  // namespace fleetpatch::aws
