#include "aws/sts_client.h"

#include <fmt/format.h>

#include "aws/output_fields.h"

namespace fleetpatch::aws {
namespace {

using nlohmann::json;
using namespace fields;  // NOLINT(google-build-using-namespace)

// Reads Credentials + AssumedRoleUser. Messages name the role, never a credential value.
Result<AssumedRole> FromOutput(const json& out, const std::string& operation, const std::string& role_arn) {
  const json& c = out.contains("Credentials") ? out["Credentials"] : json::object();
  AssumedRole role;
  role.credentials.access_key_id = Str(c, "AccessKeyId");
  role.credentials.secret_access_key = Str(c, "SecretAccessKey");
  role.credentials.session_token = Str(c, "SessionToken");
  role.credentials.expiration = Time(c, "Expiration");
  role.credentials.source =
      fmt::format("{} {}", operation == "AssumeRole" ? "assume-role" : "web-identity", role_arn);
  if (out.contains("AssumedRoleUser")) {
    role.assumed_role_arn = Str(out["AssumedRoleUser"], "Arn");
    role.assumed_role_id = Str(out["AssumedRoleUser"], "AssumedRoleId");
  }
  if (role.credentials.empty() || role.credentials.session_token.empty() || !role.credentials.expiration) {
    Error e{ErrorCategory::kAuth,
            fmt::format("{} for {} returned incomplete credentials (missing key, token or expiration)",
                        operation, role_arn)};
    return e;
  }
  return role;
}

Status CheckRole(const std::string& role_arn, const std::string& session_name) {
  if (role_arn.empty())
    return Error::Config("assuming a role needs a role ARN (arn:aws:iam::<account>:role/<name>)");
  if (session_name.size() < 2 || session_name.size() > 64) {
    return Error::Config(
        fmt::format("role session name must be 2 to 64 characters (got {})", session_name.size()));
  }
  return OkStatus();
}

}  // namespace

Result<AssumedRole> StsClient::AssumeRole(const AssumeRoleRequest& request) {
  FP_RETURN_IF_ERROR(CheckRole(request.role_arn, request.session_name));
  json params = {{"RoleArn", request.role_arn}, {"RoleSessionName", request.session_name}};
  if (!request.external_id.empty()) params["ExternalId"] = request.external_id;
  if (request.duration_seconds) params["DurationSeconds"] = *request.duration_seconds;
  if (!request.policy.empty()) params["Policy"] = request.policy;
  FP_ASSIGN_OR_RETURN(json out, caller_.Call("AssumeRole", params));
  return FromOutput(out, "AssumeRole", request.role_arn);
}

Result<AssumedRole> StsClient::AssumeRoleWithWebIdentity(const std::string& role_arn,
                                                         const std::string& session_name,
                                                         const std::string& web_identity_token,
                                                         std::optional<int> duration_seconds) {
  FP_RETURN_IF_ERROR(CheckRole(role_arn, session_name));
  if (web_identity_token.empty()) return Error::Auth("the web identity token is empty; check the token file");
  json params = {
      {"RoleArn", role_arn}, {"RoleSessionName", session_name}, {"WebIdentityToken", web_identity_token}};
  if (duration_seconds) params["DurationSeconds"] = *duration_seconds;
  FP_ASSIGN_OR_RETURN(json out, caller_.Call("AssumeRoleWithWebIdentity", params));
  return FromOutput(out, "AssumeRoleWithWebIdentity", role_arn);
}

Result<CallerIdentity> StsClient::GetCallerIdentity() {
  FP_ASSIGN_OR_RETURN(json out, caller_.Call("GetCallerIdentity", json::object()));
  CallerIdentity id{Str(out, "Account"), Str(out, "Arn"), Str(out, "UserId")};
  if (id.account.empty() || id.arn.empty()) {
    return Error{ErrorCategory::kAws, "GetCallerIdentity returned no account or ARN"};
  }
  return id;
}

}  // namespace fleetpatch::aws
