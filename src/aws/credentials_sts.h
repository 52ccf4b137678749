// Role credentials obtained from STS: AssumeRoleProvider (a landing zone's role, assumed with the
// credentials of a source provider) and WebIdentityProvider (AssumeRoleWithWebIdentity with an OIDC
// token file, as on EKS). Both cache their credentials in a CachingProvider and refresh them before
// they expire; errors name the role ARN and what to check, never a secret or the token.
// Thread-safety: safe for concurrent callers (see CachingProvider): N threads asking at once cause
// exactly one STS call.
#pragma once

#include <memory>
#include <string>

#include "aws/credentials.h"
#include "aws/credentials_cache.h"
#include "aws/sts_api.h"
#include "common/clock.h"

namespace fleetpatch::aws {

// A session name for when none is configured: "fleetpatch-<unix seconds>".
std::string DefaultRoleSessionName(const Clock& clock);

struct AssumeRoleConfig {
  std::string role_arn;
  std::string external_id;   // empty: none
  std::string session_name;  // empty: DefaultRoleSessionName()
  int duration_s = 3600;     // 900..43200; Default: 1 hour
  std::string region;        // STS region; empty: us-east-1
};

class AssumeRoleProvider final : public CredentialsProvider {
 public:
  AssumeRoleProvider(AssumeRoleConfig config, std::shared_ptr<CredentialsProvider> source, StsApi& sts,
                     Clock& clock, CachingProvider::Options cache_options);
  AssumeRoleProvider(AssumeRoleConfig config, std::shared_ptr<CredentialsProvider> source, StsApi& sts,
                     Clock& clock)
      : AssumeRoleProvider(std::move(config), std::move(source), sts, clock, CachingProvider::Options()) {}

  Result<Credentials> GetCredentials() override { return cache_.GetCredentials(); }
  const std::string& role_arn() const { return role_arn_; }

 private:
  std::string role_arn_;
  CachingProvider cache_;
};

struct WebIdentityConfig {
  std::string role_arn;
  std::string token_file;    // re-read on every refresh: the platform rotates it
  std::string session_name;  // empty: DefaultRoleSessionName()
  std::string region;        // STS region; empty: us-east-1
};

class WebIdentityProvider final : public CredentialsProvider {
 public:
  WebIdentityProvider(WebIdentityConfig config, StsApi& sts, Clock& clock,
                      CachingProvider::Options cache_options);
  WebIdentityProvider(WebIdentityConfig config, StsApi& sts, Clock& clock)
      : WebIdentityProvider(std::move(config), sts, clock, CachingProvider::Options()) {}

  Result<Credentials> GetCredentials() override { return cache_.GetCredentials(); }

 private:
  CachingProvider cache_;
};

}  // namespace fleetpatch::aws
