#include "aws/credentials_env.h"

#include <cstdlib>

#include "common/clock.h"

namespace fleetpatch::aws {

std::string GetEnv(const EnvLookup& env, const std::string& name) {
  if (!env) return "";
  auto v = env(name);
  return v ? *v : std::string();
}

Result<Credentials> StaticCredentialsProvider::GetCredentials() {
  if (credentials_.empty()) {
    return Error::Auth(
        "the explicit credentials are incomplete: both an access key id and a secret access key are needed");
  }
  return credentials_;
}

Result<std::optional<Credentials>> CredentialsFromEnvironment(const EnvLookup& env) {
  std::string id = GetEnv(env, "AWS_ACCESS_KEY_ID");
  std::string secret = GetEnv(env, "AWS_SECRET_ACCESS_KEY");
  if (id.empty() && secret.empty()) return std::optional<Credentials>();
  if (id.empty()) {
    return Error::Auth(
        "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not: set both, or unset both to use a "
        "profile");
  }
  if (secret.empty()) {
    return Error::Auth(
        "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or unset both to use a "
        "profile");
  }
  Credentials c;
  c.access_key_id = id;
  c.secret_access_key = secret;
  c.session_token = GetEnv(env, "AWS_SESSION_TOKEN");
  if (c.session_token.empty()) c.session_token = GetEnv(env, "AWS_SECURITY_TOKEN");
  std::string expiration = GetEnv(env, "AWS_CREDENTIAL_EXPIRATION");
  if (!expiration.empty()) {
    std::chrono::system_clock::time_point t;
    if (!ParseIso8601(expiration, &t)) {
      return Error::Auth("AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 UTC time (e.g. 2030-01-01T00:00:00Z)");
    }
    c.expiration = t;
  }
  c.source = "environment";
  return std::optional<Credentials>(std::move(c));
}

Result<Credentials> EnvironmentCredentialsProvider::GetCredentials() {
  FP_ASSIGN_OR_RETURN(auto c, CredentialsFromEnvironment(env_));
  if (!c)
    return Error::Auth(
        "credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  return std::move(*c);
}

}  // namespace fleetpatch::aws
