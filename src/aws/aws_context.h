// AwsContext: what every AWS call of one fleetpatch process shares (the HTTP transport, the clock,
// the environment, retry settings, FIPS) and the factory for per-service, per-region clients.
// It is also the StsApi behind the credential providers: AssumeRole and AssumeRoleWithWebIdentity
// are sent through the same transport and endpoint rules (AWS_ENDPOINT_URL_STS, regional STS).
// Thread-safety: MakeClient and the StsApi methods may be called from many threads.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "aws/credentials_env.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/service_client.h"
#include "aws/sts_api.h"
#include "common/clock.h"

namespace fleetpatch::aws {

struct AwsContextOptions {
  RetryOptions retry;        // max_attempts from AWS_MAX_ATTEMPTS / config; Default: standard mode, 3
  bool use_fips = false;     // Default: false (FIPS endpoints when true)
  HttpOptions http;          // per-attempt connect/total timeouts
  AttemptObserver observer;  // one record per HTTP attempt (debug logs, request counters)
  // Accept http:// endpoints on hosts other than loopback (--allow-insecure-endpoint); a warning
  // is logged once. Default: false (such endpoints are a kConfig error).
  bool allow_insecure_endpoint = false;
};

// A ServiceClient that owns the credentials provider it signs with.
class BoundClient final : public ApiCaller {
 public:
  BoundClient(std::shared_ptr<CredentialsProvider> credentials, const protocol::ServiceModel& model,
              ServiceClientOptions options, HttpTransport& transport, Clock& clock)
      : credentials_(std::move(credentials)),
        client_(model, std::move(options), transport, *credentials_, clock) {}
  Result<nlohmann::json> Call(const std::string& operation, const nlohmann::json& params) override {
    return client_.Call(operation, params);
  }
  Status CallReading(const std::string& operation, const nlohmann::json& params,
                     const BodyReader& read) override {
    return client_.CallReading(operation, params, read);
  }
  const ServiceClientOptions& options() const { return client_.options(); }

 private:
  std::shared_ptr<CredentialsProvider> credentials_;  // outlives client_, which refers to it
  ServiceClient client_;
};

class AwsContext final : public StsApi {
 public:
  AwsContext(HttpTransport& transport, Clock& clock, EnvLookup env, AwsContextOptions options);

  // A client for "ec2", "ssm", "sts", "autoscaling" or "sns" in `region`, signing with `credentials`;
  // `endpoint_override`
  // (a landing zone's endpoint_url) wins over AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL;
  // `gate` (optional) paces each of the client's attempts (see attempt_gate.h).
  // kConfig for an unknown service, a malformed region or endpoint.
  Result<std::unique_ptr<BoundClient>> MakeClient(const std::string& service, const std::string& region,
                                                  std::shared_ptr<CredentialsProvider> credentials,
                                                  const std::string& endpoint_override = "",
                                                  std::shared_ptr<AttemptGate> gate = nullptr);

  // StsApi. Errors keep their category (kAuth for AccessDenied / InvalidClientTokenId ...) and name the role.
  Result<Credentials> AssumeRole(const Credentials& source, const std::string& region,
                                 const AssumeRoleParams& params) override;
  Result<Credentials> AssumeRoleWithWebIdentity(const std::string& region, const std::string& role_arn,
                                                const std::string& session_name,
                                                const std::string& token) override;

  HttpTransport& transport() { return transport_; }
  Clock& clock() { return clock_; }
  const EnvLookup& env() const { return env_; }

 private:
  HttpTransport& transport_;
  Clock& clock_;
  EnvLookup env_;
  AwsContextOptions options_;
  std::atomic<bool> warned_insecure_{false};
};

}  // namespace fleetpatch::aws
