#include "cli/aws_stack.h"

#include "aws/credentials_chain.h"
#include "aws/retry.h"

namespace fleetpatch::cli {
namespace {

Result<aws::AwsContextOptions> ContextOptions(const config::Config& config, const Options& flags,
                                              const config::EnvLookup& env, aws::AttemptObserver observer) {
  aws::AwsContextOptions options;
  options.observer = std::move(observer);
  options.allow_insecure_endpoint = flags.allow_insecure_endpoint;
  std::optional<std::string> from_env = env("AWS_MAX_ATTEMPTS");
  FP_ASSIGN_OR_RETURN(
      options.retry.max_attempts,
      aws::ResolveMaxAttempts(config.aws.max_attempts, from_env ? from_env->c_str() : nullptr));
  return options;
}

std::map<std::string, workflow::ZoneAccess> Access(const config::Config& config) {
  std::map<std::string, workflow::ZoneAccess> access;
  for (const auto& z : config.landing_zones) {
    access[z.name] = {z.role_arn, z.external_id, z.session_name.empty() ? "fleetpatch" : z.session_name,
                      static_cast<int>(config.aws.role_session_duration.count()), z.endpoint_url};
  }
  return access;
}

}  // namespace

AwsStack::AwsStack(const config::EnvLookup& env, Clock& clock, aws::AwsContextOptions options)
    : transport_(aws::CurlTransportOptions::FromEnvironment()), context_(transport_, clock, env, options) {}

Result<std::unique_ptr<AwsStack>> AwsStack::Create(const config::Config& config, const Options& flags,
                                                   const config::EnvLookup& env, Clock& clock,
                                                   std::shared_ptr<aws::CredentialsProvider> base,
                                                   aws::AttemptObserver observer) {
  FP_ASSIGN_OR_RETURN(aws::AwsContextOptions options,
                      ContextOptions(config, flags, env, std::move(observer)));
  std::unique_ptr<AwsStack> s(new AwsStack(env, clock, options));
  if (!base) {
    aws::CredentialsChainOptions copts;
    copts.profile = config.aws.profile;
    copts.region = config.aws.region;
    aws::CredentialsContext cctx;
    cctx.env = env;
    cctx.http = &s->transport_;
    cctx.sts = &s->context_;
    cctx.clock = &clock;
    base = std::make_shared<aws::DefaultCredentialsChain>(copts, cctx);
  }
  s->base_ = base;
  s->limiter_ = std::make_unique<workflow::RateLimiter>(clock, workflow::BucketSpecs(config.aws.rate_limits));
  s->connector_ = std::make_unique<workflow::AwsZoneConnector>(s->context_, std::move(base), *s->limiter_,
                                                               Access(config));
  return s;
}

}  // namespace fleetpatch::cli
