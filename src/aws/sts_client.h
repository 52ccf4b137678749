// StsClient: the STS operations fleetpatch uses (AssumeRole, AssumeRoleWithWebIdentity,
// GetCallerIdentity), typed. Results hold secrets (the credentials): never log them.
// Thread-safety: stateless apart from the ApiCaller reference; safe from many threads when the
// ApiCaller is.
#pragma once

#include <optional>
#include <string>

#include "aws/api_caller.h"
#include "aws/credentials.h"
#include "common/error.h"

namespace fleetpatch::aws {

struct AssumeRoleRequest {
  std::string role_arn;
  std::string session_name;             // 2..64 chars of [\w+=,.@-]
  std::string external_id;              // empty: not sent
  std::optional<int> duration_seconds;  // Default: the role's (1 hour)
  std::string policy;                   // inline session policy JSON; empty: none
};

struct AssumedRole {
  Credentials credentials;  // expiration always set
  std::string assumed_role_arn;
  std::string assumed_role_id;
};

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

class StsClient {
 public:
  explicit StsClient(ApiCaller& caller) : caller_(caller) {}

  Result<AssumedRole> AssumeRole(const AssumeRoleRequest& request);
  // The web identity token is a secret too; the ApiCaller must send this call unsigned.
  Result<AssumedRole> AssumeRoleWithWebIdentity(const std::string& role_arn, const std::string& session_name,
                                                const std::string& web_identity_token,
                                                std::optional<int> duration_seconds = std::nullopt);
  Result<CallerIdentity> GetCallerIdentity();

 private:
  ApiCaller& caller_;
};

}  // namespace fleetpatch::aws
