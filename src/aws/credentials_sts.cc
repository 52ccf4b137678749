#include "aws/credentials_sts.h"

#include <fstream>
#include <sstream>

namespace fleetpatch::aws {

namespace {

constexpr char kDefaultStsRegion[] = "us-east-1";

// Keeps the STS error's details (AWS code, status, request id) but makes it an auth failure unless
// the problem was reaching STS at all.
Error WrapStsError(const Error& sts_error, std::string message) {
  Error e = sts_error;
  e.message = std::move(message);
  if (e.category != ErrorCategory::kConnectivity && e.category != ErrorCategory::kTimeout &&
      e.category != ErrorCategory::kThrottled) {
    e.category = ErrorCategory::kAuth;
  }
  return e;
}

class AssumeRoleFetcher final : public CredentialsProvider {
 public:
  AssumeRoleFetcher(AssumeRoleConfig config, std::shared_ptr<CredentialsProvider> source, StsApi& sts,
                    const Clock& clock)
      : config_(std::move(config)), source_(std::move(source)), sts_(sts) {
    if (config_.session_name.empty()) config_.session_name = DefaultRoleSessionName(clock);
    if (config_.region.empty()) config_.region = kDefaultStsRegion;
  }

  Result<Credentials> GetCredentials() override {
    if (config_.role_arn.empty()) return Error::Config("a role to assume needs a role ARN");
    if (config_.duration_s < 900 || config_.duration_s > 43200) {
      return Error::Config("the session duration for role " + config_.role_arn + " is " +
                           std::to_string(config_.duration_s) + " s; STS accepts 900 to 43200 s");
    }
    if (!source_) return Error::Internal("no source credentials provider for role " + config_.role_arn);
    auto source = source_->GetCredentials();
    if (!source.ok()) {
      Error e = source.error();
      e.message =
          "cannot assume role " + config_.role_arn + " because its source credentials failed: " + e.message;
      return e;
    }
    AssumeRoleParams params{config_.role_arn, config_.session_name, config_.external_id, config_.duration_s};
    auto result = sts_.AssumeRole(*source, config_.region, params);
    if (!result.ok()) {
      const Error& e = result.error();
      std::string msg =
          "could not assume role " + config_.role_arn + " as " + source->Redacted() + ": " + e.message;
      if (e.category == ErrorCategory::kConnectivity || e.category == ErrorCategory::kTimeout ||
          e.category == ErrorCategory::kThrottled) {
        msg += " (STS in " + config_.region + " could not be reached; check the network and endpoint)";
      } else {
        msg += ". Check the role's trust policy allows the source identity";
        msg += config_.external_id.empty() ? " (and whether it requires an ExternalId)"
                                           : ", that the ExternalId matches the one in the trust policy";
        msg += ", and that the source identity is allowed sts:AssumeRole on the role";
      }
      return WrapStsError(e, std::move(msg));
    }
    Credentials c = std::move(result).value();
    if (c.empty()) return Error::Auth("STS returned empty credentials for role " + config_.role_arn);
    c.source = "assume-role " + config_.role_arn;
    return c;
  }

 private:
  AssumeRoleConfig config_;
  std::shared_ptr<CredentialsProvider> source_;
  StsApi& sts_;
};

class WebIdentityFetcher final : public CredentialsProvider {
 public:
  WebIdentityFetcher(WebIdentityConfig config, StsApi& sts, const Clock& clock)
      : config_(std::move(config)), sts_(sts) {
    if (config_.session_name.empty()) config_.session_name = DefaultRoleSessionName(clock);
    if (config_.region.empty()) config_.region = kDefaultStsRegion;
  }

  Result<Credentials> GetCredentials() override {
    if (config_.role_arn.empty()) {
      return Error::Config("web identity token file " + config_.token_file +
                           " is configured but no role ARN: set AWS_ROLE_ARN or role_arn in the profile");
    }
    std::ifstream f(config_.token_file, std::ios::binary);
    if (!f) {
      return Error::Auth(
          "cannot read the web identity token file " + config_.token_file +
          ": check AWS_WEB_IDENTITY_TOKEN_FILE / web_identity_token_file and the file's permissions");
    }
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string token = ss.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    if (token.empty()) return Error::Auth("the web identity token file " + config_.token_file + " is empty");
    auto result =
        sts_.AssumeRoleWithWebIdentity(config_.region, config_.role_arn, config_.session_name, token);
    if (!result.ok()) {
      return WrapStsError(result.error(),
                          "could not assume role " + config_.role_arn + " with the web identity token from " +
                              config_.token_file + ": " + result.error().message +
                              ". Check the role's trust policy trusts the token's OIDC provider, "
                              "audience and subject");
    }
    Credentials c = std::move(result).value();
    if (c.empty()) return Error::Auth("STS returned empty credentials for role " + config_.role_arn);
    c.source = "web-identity " + config_.role_arn;
    return c;
  }

 private:
  WebIdentityConfig config_;
  StsApi& sts_;
};

}  // namespace

std::string DefaultRoleSessionName(const Clock& clock) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(clock.Now().time_since_epoch()).count();
  return "fleetpatch-" + std::to_string(secs);
}

AssumeRoleProvider::AssumeRoleProvider(AssumeRoleConfig config, std::shared_ptr<CredentialsProvider> source,
                                       StsApi& sts, Clock& clock, CachingProvider::Options cache_options)
    : role_arn_(config.role_arn),
      cache_(std::make_shared<AssumeRoleFetcher>(std::move(config), std::move(source), sts, clock), clock,
             "role " + role_arn_, cache_options) {}

WebIdentityProvider::WebIdentityProvider(WebIdentityConfig config, StsApi& sts, Clock& clock,
                                         CachingProvider::Options cache_options)
    : cache_(std::make_shared<WebIdentityFetcher>(config, sts, clock), clock,
             "web identity role " + config.role_arn, cache_options) {}

}  // namespace fleetpatch::aws
