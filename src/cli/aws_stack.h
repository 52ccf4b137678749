// AwsStack: the AWS side of a command that works across landing zones (a workflow run, prune,
// compliance): curl, the base credentials (the default chain, or the ones given), the per-account
// rate budgets from the config, and each zone's role, behind one ZoneConnector. Built in one place
// so that every command reaches AWS the same way.
// Thread-safety: connector() is thread-safe (see workflow::ZoneConnector); the stack itself is
// built and destroyed on one thread, and must outlive every ZoneApi it connected.
#pragma once

#include <memory>

#include "aws/aws_context.h"
#include "aws/credentials.h"
#include "aws/curl_transport.h"
#include "cli/options.h"
#include "common/clock.h"
#include "config/config.h"
#include "config/env_expand.h"
#include "workflow/aws_zone_api.h"
#include "workflow/rate_limiter.h"

namespace fleetpatch::cli {

class AwsStack {
 public:
  // `base` (optional) replaces the default credential chain (the demo's emulator keys); the
  // command line's --allow-insecure-endpoint applies. `observer` (optional) sees every AWS attempt
  // (a run's metrics); without one, each attempt is a debug log line. kConfig when
  // AWS_MAX_ATTEMPTS or aws.max_attempts is invalid.
  static Result<std::unique_ptr<AwsStack>> Create(const config::Config& config, const Options& options,
                                                  const config::EnvLookup& env, Clock& clock,
                                                  std::shared_ptr<aws::CredentialsProvider> base,
                                                  aws::AttemptObserver observer = nullptr);

  workflow::ZoneConnector& connector() { return *connector_; }
  // For clients outside the zones (a run's SNS notifications): the same transport, retry policy
  // and base identity as the zones'.
  aws::AwsContext& context() { return context_; }
  aws::HttpTransport& transport() { return transport_; }
  std::shared_ptr<aws::CredentialsProvider> base_credentials() const { return base_; }

 private:
  AwsStack(const config::EnvLookup& env, Clock& clock, aws::AwsContextOptions options);

  aws::CurlGlobal curl_;
  aws::CurlTransport transport_;
  aws::AwsContext context_;
  std::shared_ptr<aws::CredentialsProvider> base_;
  std::unique_ptr<workflow::RateLimiter> limiter_;
  std::unique_ptr<workflow::AwsZoneConnector> connector_;
};

}  // namespace fleetpatch::cli
