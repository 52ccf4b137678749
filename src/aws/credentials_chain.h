// DefaultCredentialsChain: finds credentials the way the AWS CLI does, first source that yields wins:
//  1. explicit keys given to the constructor (e.g. from flags);
//  2. the environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (AWS_SECURITY_TOKEN
//     legacy). Skipped when a profile is named explicitly (--profile), as in the CLI;
//  3. the profile (--profile, else AWS_PROFILE, else "default") from the shared credentials and config
//     files, in botocore's order: role_arn with source_profile / credential_source; web identity
//     (web_identity_token_file + role_arn, where AWS_WEB_IDENTITY_TOKEN_FILE / AWS_ROLE_ARN /
//     AWS_ROLE_SESSION_NAME override the profile and also work without any profile); static keys from
//     the credentials file; credential_process; static keys from the config file;
//  4. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI);
//  5. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true.
// A source that is configured but broken is an error, not skipped: a profile named by --profile or
// AWS_PROFILE (even "default") that does not exist, even when environment keys are set (as in the CLI),
// half a key pair, a source_profile cycle, a failing credential_process, mfa_serial (unsupported: the
// tool runs unattended). When nothing yields, the kAuth error lists what was tried.
// Everything environmental comes through CredentialsContext (env lookup, HTTP transport, STS, clock),
// so tests never read the real environment or home directory.
// Thread-safety: GetCredentials is safe from many threads; the source is resolved once (under a lock)
// and then its (caching) provider is shared.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/credentials_cache.h"
#include "aws/credentials_env.h"
#include "aws/credentials_http.h"
#include "aws/credentials_ini.h"
#include "aws/http.h"
#include "aws/sts_api.h"
#include "common/clock.h"

namespace fleetpatch::aws {

// The seams the chain reads the world through. `http`, `sts` and `clock` are borrowed: they must
// outlive the chain (the providers it builds keep references to them).
struct CredentialsContext {
  EnvLookup env = ProcessEnv();
  HttpTransport* http = nullptr;  // container + IMDS; nullptr: those sources are skipped
  StsApi* sts = nullptr;          // role_arn / web identity; nullptr: configuring them is an error
  Clock* clock = nullptr;         // nullptr: DefaultClock()
  ContainerCredentialsProvider::Options container;
  ImdsCredentialsProvider::Options imds;
  CachingProvider::Options cache;
  std::chrono::milliseconds process_timeout{60'000};  // Default: a credential_process may run 60 s
};

struct CredentialsChainOptions {
  // Explicit keys; when set, they win over everything else.
  std::string access_key_id;
  std::string secret_access_key;  // secret
  std::string session_token;      // secret
  std::string profile;            // --profile; empty: AWS_PROFILE (or AWS_DEFAULT_PROFILE), else "default"
  std::string region;  // for STS calls; empty: AWS_REGION, AWS_DEFAULT_REGION, the profile's, us-east-1
  std::string credentials_file;  // empty: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  std::string config_file;       // empty: AWS_CONFIG_FILE, else ~/.aws/config
};

// The shared credentials and config files, loaded. Config file sections are "[profile NAME]" (and
// "[default]"); credentials file sections are bare names.
struct SharedProfiles {
  std::string credentials_path;
  std::string config_path;
  std::map<std::string, IniSection> credentials;  // profile name -> section
  std::map<std::string, IniSection> config;       // profile name -> section

  bool Has(const std::string& profile) const {
    return credentials.count(profile) + config.count(profile) > 0;
  }
  // The value of `key` for `profile`; the credentials file wins over the config file. nullptr when unset.
  const std::string* Find(const std::string& profile, const std::string& key) const;
};

// Resolves the file paths (overrides, then environment, then $HOME/.aws/...) and loads both files.
Result<SharedProfiles> LoadSharedProfiles(const EnvLookup& env, const std::string& credentials_file_override,
                                          const std::string& config_file_override);

class DefaultCredentialsChain final : public CredentialsProvider {
 public:
  DefaultCredentialsChain(CredentialsChainOptions options, CredentialsContext context);

  Result<Credentials> GetCredentials() override;

  // The profile name the chain uses (after --profile / AWS_PROFILE / "default").
  std::string ProfileName() const;
  // The region STS calls use (see CredentialsChainOptions::region).
  Result<std::string> Region() const;

 private:
  using ProviderPtr = std::shared_ptr<CredentialsProvider>;
  Result<ProviderPtr> Resolve();
  // The chain's steps, in order. Each returns the provider it found, or nullptr after adding to
  // `tried` why it found none; an error ends the chain (a source that is set but broken).
  Result<ProviderPtr> FromProfileOrWebIdentity(const SharedProfiles& files, Clock& clock,
                                               std::vector<std::string>* tried);
  Result<ProviderPtr> FromWebIdentityEnvironment(const std::string& region, Clock& clock);
  Result<ProviderPtr> FromContainer(Clock& clock, std::vector<std::string>* tried);
  Result<ProviderPtr> FromInstanceMetadata(Clock& clock, std::vector<std::string>* tried);

  CredentialsChainOptions options_;
  CredentialsContext context_;
  std::mutex mu_;
  std::shared_ptr<CredentialsProvider> resolved_;
  std::once_flag announced_;  // the chosen source is logged once, at debug level
};

}  // namespace fleetpatch::aws
