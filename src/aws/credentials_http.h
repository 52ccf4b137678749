// Credential sources served over HTTP by the platform: the container credentials endpoint (ECS,
// EKS Pod Identity, Greengrass...) and the EC2 instance metadata service (IMDSv2 with session
// tokens). Both go through the HttpTransport seam; responses and tokens are never logged and never
// quoted in errors (the responses hold secrets).
// Thread-safety: both providers are safe to call from many threads (the IMDS token cache is
// guarded by a mutex). Neither caches credentials: wrap them in a CachingProvider.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "aws/credentials.h"
#include "aws/credentials_env.h"
#include "aws/http.h"
#include "common/clock.h"

namespace fleetpatch::aws {

// Parses {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} (the container and IMDS shape).
// With `require_success_code`, also requires "Code": "Success" (IMDS). Errors never quote the body.
Result<Credentials> ParseHttpCredentials(const std::string& body, const std::string& source,
                                         bool require_success_code);

// Container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (appended to http://169.254.170.2)
// or AWS_CONTAINER_CREDENTIALS_FULL_URI (https anywhere; http only to loopback, 169.254.170.2,
// 169.254.170.23 or fd00:ec2::23). The Authorization header comes from the file named by
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read on each call; it rotates) or else from
// AWS_CONTAINER_AUTHORIZATION_TOKEN.
class ContainerCredentialsProvider final : public CredentialsProvider {
 public:
  struct Options {
    std::chrono::milliseconds timeout{2000};  // connect and total, per attempt
    int attempts = 2;
  };
  ContainerCredentialsProvider(EnvLookup env, HttpTransport& http, Options options);
  ContainerCredentialsProvider(EnvLookup env, HttpTransport& http)
      : ContainerCredentialsProvider(std::move(env), http, Options()) {}

  // True when either URI variable is set (then this source is configured and failures are errors).
  static bool IsConfigured(const EnvLookup& env);
  // The URL to call, after validating the host; kConfig when the host is not allowed.
  static Result<std::string> ResolveUrl(const EnvLookup& env);

  Result<Credentials> GetCredentials() override;

 private:
  EnvLookup env_;
  HttpTransport& http_;
  Options options_;
};

// EC2 instance metadata (IMDSv2): PUT /latest/api/token for a session token (cached for its TTL,
// fetched again after a 401), then GET /latest/meta-data/iam/security-credentials/ for the role name
// and /<role> for the credentials. Falls back to IMDSv1 when the token call answers 403/404/405,
// unless AWS_EC2_METADATA_V1_DISABLED=true. AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the
// endpoint (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 selects [fd00:ec2::254]).
// Timeouts are short (1 s, one retry) so a laptop without IMDS does not hang.
class ImdsCredentialsProvider final : public CredentialsProvider {
 public:
  struct Options {
    std::chrono::milliseconds timeout{1000};  // connect and total, per attempt
    int attempts = 2;                         // 1 retry
    int token_ttl_s = 21600;
  };
  ImdsCredentialsProvider(EnvLookup env, HttpTransport& http, Clock& clock, Options options);
  ImdsCredentialsProvider(EnvLookup env, HttpTransport& http, Clock& clock)
      : ImdsCredentialsProvider(std::move(env), http, clock, Options()) {}

  // AWS_EC2_METADATA_DISABLED=true (case-insensitive).
  static bool IsDisabled(const EnvLookup& env);

  // For the chain: nullopt when IMDS is disabled, unreachable, or has no role attached (so the
  // chain moves on); an error when IMDS answered but the credentials could not be obtained.
  // `reason` (optional) receives why IMDS is not available.
  Result<std::optional<Credentials>> TryGetCredentials(std::string* reason = nullptr);

  // Like TryGetCredentials, but "not available" is a kAuth error.
  Result<Credentials> GetCredentials() override;

 private:
  Result<std::optional<Credentials>> Fetch(std::string* unavailable_reason);
  // GET path with the session token; refreshes the token once on 401.
  Result<HttpResponse> Get(const std::string& path);
  Result<HttpResponse> SendWithRetry(HttpRequest request);
  // Returns the cached token or fetches one; "" means use IMDSv1.
  Result<std::string> Token(bool force_refresh);

  EnvLookup env_;
  HttpTransport& http_;
  Clock& clock_;
  Options options_;
  std::string endpoint_;

  std::mutex token_mu_;
  std::string token_;
  bool token_v1_fallback_ = false;
  std::chrono::steady_clock::time_point token_expiry_{};
};

}  // namespace fleetpatch::aws
