// The environment seam and the two simplest credential sources: explicit (static) keys and the
// AWS_* environment variables. Tests pass a MapEnv so they never read the real environment.
// Thread-safety: providers here are immutable after construction and safe to share; the EnvLookup
// returned by ProcessEnv() calls getenv, which is safe as long as nobody calls setenv concurrently.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "aws/credentials.h"
#include "common/env.h"

namespace fleetpatch::aws {

// Returns the value of an environment variable, or nullopt when unset. Callers treat an empty value
// as unset, as the AWS CLI does.
using ::fleetpatch::EnvLookup;  // common/env.h: one environment seam for the whole program

// The variable's value when set and non-empty, else "".
std::string GetEnv(const EnvLookup& env, const std::string& name);

// Fixed keys (explicit options or keys read from a profile). Never expire.
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials credentials) : credentials_(std::move(credentials)) {}
  Result<Credentials> GetCredentials() override;

 private:
  Credentials credentials_;
};

// Reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (AWS_SECURITY_TOKEN as the
// legacy name) and AWS_CREDENTIAL_EXPIRATION. Returns nullopt when AWS_ACCESS_KEY_ID is unset; a
// kAuth error when only one of the key pair is set.
Result<std::optional<Credentials>> CredentialsFromEnvironment(const EnvLookup& env);

// A provider over CredentialsFromEnvironment, re-reading the environment on each call (the
// credential_source = Environment case). Missing variables are a kAuth error.
class EnvironmentCredentialsProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentCredentialsProvider(EnvLookup env) : env_(std::move(env)) {}
  Result<Credentials> GetCredentials() override;

 private:
  EnvLookup env_;
};

}  // namespace fleetpatch::aws
