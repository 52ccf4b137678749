#include "aws/aws_context.h"

#include <spdlog/spdlog.h>

#include "aws/endpoints.h"
#include "aws/protocol/embedded_models.h"
#include "aws/sts_client.h"

namespace fleetpatch::aws {

AwsContext::AwsContext(HttpTransport& transport, Clock& clock, EnvLookup env, AwsContextOptions options)
    : transport_(transport), clock_(clock), env_(std::move(env)), options_(std::move(options)) {}

Result<std::unique_ptr<BoundClient>> AwsContext::MakeClient(const std::string& service,
                                                            const std::string& region,
                                                            std::shared_ptr<CredentialsProvider> credentials,
                                                            const std::string& endpoint_override,
                                                            std::shared_ptr<AttemptGate> gate) {
  const protocol::ServiceModel* model = nullptr;
  if (service == "ec2") {
    model = &protocol::Ec2Model();
  } else if (service == "ssm") {
    model = &protocol::SsmModel();
  } else if (service == "sts") {
    model = &protocol::StsModel();
  } else if (service == "autoscaling") {
    model = &protocol::AutoScalingModel();
  } else if (service == "sns") {
    model = &protocol::SnsModel();
  } else {
    return Error::Config("unknown AWS service '" + service +
                         "' (fleetpatch uses ec2, ssm, sts, autoscaling and sns)");
  }
  EndpointRequest req;
  req.service = service;
  req.region = region;
  req.use_fips = options_.use_fips;
  req.override_url = endpoint_override;
  req.allow_insecure_http = options_.allow_insecure_endpoint;
  FP_ASSIGN_OR_RETURN(ResolvedEndpoint ep, ResolveServiceEndpoint(req, env_));
  if (ep.insecure && !warned_insecure_.exchange(true)) {
    spdlog::warn("--allow-insecure-endpoint: sending requests and credentials over plain http to {} ({})",
                 ep.url, ep.source);
  }
  ServiceClientOptions o;
  o.endpoint = ep.url;
  o.region = ep.signing_region.empty() ? region : ep.signing_region;
  o.signing_name = ep.signing_name;
  o.http = options_.http;
  o.retry = options_.retry;
  o.observer = options_.observer;
  o.gate = std::move(gate);
  return std::make_unique<BoundClient>(std::move(credentials), *model, std::move(o), transport_, clock_);
}

Result<Credentials> AwsContext::AssumeRole(const Credentials& source, const std::string& region,
                                           const AssumeRoleParams& params) {
  FP_ASSIGN_OR_RETURN(auto client, MakeClient("sts", region.empty() ? "us-east-1" : region,
                                              std::make_shared<StaticCredentialsProvider>(source)));
  StsClient sts(*client);
  AssumeRoleRequest req;
  req.role_arn = params.role_arn;
  req.session_name = params.session_name;
  req.external_id = params.external_id;
  req.duration_seconds = params.duration_s;
  auto r = sts.AssumeRole(req);
  if (!r.ok()) {
    Error e = r.error();
    if (e.category == ErrorCategory::kPermission || e.category == ErrorCategory::kAws)
      e.category = ErrorCategory::kAuth;
    e.message = "could not assume role " + params.role_arn + ": " + e.message;
    return e;
  }
  Credentials c = r->credentials;
  c.source = "assume-role " + params.role_arn;
  return c;
}

Result<Credentials> AwsContext::AssumeRoleWithWebIdentity(const std::string& region,
                                                          const std::string& role_arn,
                                                          const std::string& session_name,
                                                          const std::string& token) {
  // AssumeRoleWithWebIdentity is unsigned (authtype none in the model): the provider is never asked.
  struct Anonymous final : CredentialsProvider {
    Result<Credentials> GetCredentials() override {
      return Error::Internal("AssumeRoleWithWebIdentity needs no credentials");
    }
  };
  FP_ASSIGN_OR_RETURN(
      auto client, MakeClient("sts", region.empty() ? "us-east-1" : region, std::make_shared<Anonymous>()));
  StsClient sts(*client);
  auto r = sts.AssumeRoleWithWebIdentity(role_arn, session_name, token);
  if (!r.ok()) {
    Error e = r.error();
    if (e.category == ErrorCategory::kPermission || e.category == ErrorCategory::kAws)
      e.category = ErrorCategory::kAuth;
    e.message = "could not assume role " + role_arn + " with a web identity token: " + e.message;
    return e;
  }
  Credentials c = r->credentials;
  c.source = "web-identity " + role_arn;
  return c;
}

}  // namespace fleetpatch::aws
