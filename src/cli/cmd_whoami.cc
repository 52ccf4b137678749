// `fleetpatch whoami [--profile P] [--region R] [--role-arn ARN [--external-id ID | --external-id-file F]]`:
// which AWS identity fleetpatch would use (STS GetCallerIdentity with the default credential chain), and
// optionally the identity after assuming a landing zone's role: the quickest check that
// credentials and a role's trust policy are right before a run. The secret key and session token
// are never printed; the access key id only in its redacted form.
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "aws/aws_context.h"
#include "aws/credentials_chain.h"
#include "aws/credentials_sts.h"
#include "aws/curl_transport.h"
#include "aws/sts_client.h"
#include "cli/commands.h"
#include "common/exit_codes.h"
#include "common/json_dump.h"
#include "config/names.h"

namespace fleetpatch::cli {
namespace {

// Keeps the category (and so the exit code) and adds what to check.
Error WithHint(Error e, const std::string& step) {
  std::string hint;
  switch (e.category) {
    case ErrorCategory::kAuth:
      hint =
          "check the credentials fleetpatch finds (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / "
          "AWS_SESSION_TOKEN, "
          "--profile or AWS_PROFILE and ~/.aws/credentials), that they are not expired, and for --role-arn "
          "that "
          "the role's trust policy allows you and the external id matches";
      break;
    case ErrorCategory::kPermission:
      hint = "the identity lacks permission: check its IAM policy (sts:AssumeRole for --role-arn)";
      break;
    case ErrorCategory::kConnectivity:
    case ErrorCategory::kTimeout:
      hint = "check the network, proxies (HTTPS_PROXY) and the endpoint (AWS_ENDPOINT_URL, --region)";
      break;
    default:
      break;
  }
  e.message = step + ": " + e.message + (hint.empty() ? "" : "; " + hint);
  return e;
}

// The external id for --role-arn: --external-id, else the first line of --external-id-file, else
// FLEETPATCH_EXTERNAL_ID (the last two keep it out of the process list). kConfig when the file
// cannot be read or is larger than an external id can be (STS allows 1224 characters).
Result<std::string> ExternalId(const Options& options, const EnvLookup& env) {
  if (!options.whoami_external_id.empty()) return options.whoami_external_id;
  if (!options.whoami_external_id_file.empty()) {
    const std::string& path = options.whoami_external_id_file;
    std::ifstream in(path, std::ios::binary);
    std::string text(1225 + 2, '\0');
    if (in) in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (!in && !in.eof())
      return Error::Config("whoami: --external-id-file " + path + ": cannot read the file");
    text.resize(static_cast<size_t>(in.gcount()));
    text = text.substr(0, text.find_first_of("\r\n"));
    if (text.empty() || text.size() > 1224)
      return Error::Config("whoami: --external-id-file " + path +
                           ": expected one line of 1 to 1224 characters");
    return text;
  }
  if (auto v = env("FLEETPATCH_EXTERNAL_ID"); v && !v->empty()) return *v;
  return std::string();
}

// The config whoami reads: the files when given, else only --profile and --region.
Result<config::Config> WhoamiConfig(const Options& options, Context& ctx) {
  config::Config cfg;
  if (!options.config_path.empty() || !options.landing_zones_path.empty())
    return EffectiveConfig(options, ctx.env);
  if (!options.profile.empty()) cfg.aws.profile = options.profile;
  if (!options.region.empty()) {
    if (std::string why = config::CheckRegion(options.region); !why.empty())
      return Error::Config("command line: --region: found \"" + options.region + "\"; " + why);
    cfg.aws.region = options.region;
  }
  return cfg;
}

struct Identity {
  aws::CallerIdentity id;
  std::string credentials;  // Credentials::Redacted()
};

// STS GetCallerIdentity with `provider`'s credentials; errors carry what to check at `step`.
Result<Identity> Identify(aws::AwsContext& aws_context, const std::string& region,
                          std::shared_ptr<aws::CredentialsProvider> provider, const std::string& step) {
  auto creds = provider->GetCredentials();
  if (!creds.ok()) return WithHint(creds.error(), step);
  auto client = aws_context.MakeClient("sts", region, provider);
  if (!client.ok()) return WithHint(client.error(), step);
  aws::StsClient sts(**client);
  auto id = sts.GetCallerIdentity();
  if (!id.ok()) return WithHint(id.error(), step);  // the error names sts:GetCallerIdentity
  return Identity{*id, creds->Redacted()};
}

int PrintIdentities(const Options& options, Context& ctx, const Identity& base,
                    const std::optional<Identity>& assumed, const std::string& region) {
  auto to_json = [](const Identity& i) {
    return nlohmann::json{{"account", i.id.account},
                          {"arn", i.id.arn},
                          {"user_id", i.id.user_id},
                          {"credentials", i.credentials}};
  };
  if (options.output == OutputFormat::kJson) {
    nlohmann::json j = to_json(base);
    j["region"] = region;
    if (assumed) j["assumed_role"] = to_json(*assumed);
    *ctx.out << DumpJson(j, 2) << "\n";
    return kExitOk;
  }
  auto print = [&](const Identity& i, const char* indent) {
    *ctx.out << indent << "Account:     " << i.id.account << "\n"
             << indent << "ARN:         " << i.id.arn << "\n"
             << indent << "User id:     " << i.id.user_id << "\n"
             << indent << "Credentials: " << i.credentials << "\n";
  };
  print(base, "");
  *ctx.out << "Region:      " << region << "\n";
  if (assumed) {
    *ctx.out << "After assuming " << options.whoami_role_arn << ":\n";
    print(*assumed, "  ");
  }
  return kExitOk;
}

}  // namespace

Result<int> RunWhoamiCommand(const Options& options, Context& ctx) {
  if ((!options.whoami_external_id.empty() || !options.whoami_external_id_file.empty()) &&
      options.whoami_role_arn.empty()) {
    return Error::Config(
        "whoami: --external-id / --external-id-file go with --role-arn ARN\nRun 'fleetpatch whoami --help' "
        "for "
        "usage.");
  }
  FP_ASSIGN_OR_RETURN(config::Config cfg, WhoamiConfig(options, ctx));
  RealClock& clock = DefaultClock();
  aws::CurlGlobal curl;
  aws::CurlTransport transport(aws::CurlTransportOptions::FromEnvironment());
  aws::AwsContextOptions aopts;
  aopts.allow_insecure_endpoint = options.allow_insecure_endpoint;
  const std::optional<std::string> max_attempts = ctx.env("AWS_MAX_ATTEMPTS");
  FP_ASSIGN_OR_RETURN(
      aopts.retry.max_attempts,
      aws::ResolveMaxAttempts(cfg.aws.max_attempts, max_attempts ? max_attempts->c_str() : nullptr));
  aws::AwsContext aws_context(transport, clock, ctx.env, aopts);

  aws::CredentialsChainOptions copts;
  copts.profile = cfg.aws.profile;
  copts.region = cfg.aws.region;
  aws::CredentialsContext cctx;
  cctx.env = ctx.env;
  cctx.http = &transport;
  cctx.sts = &aws_context;
  cctx.clock = &clock;
  auto chain = std::make_shared<aws::DefaultCredentialsChain>(copts, cctx);
  FP_ASSIGN_OR_RETURN(std::string region, chain->Region());
  FP_ASSIGN_OR_RETURN(Identity base, Identify(aws_context, region, chain, "base credentials"));
  std::optional<Identity> assumed;
  if (!options.whoami_role_arn.empty()) {
    aws::AssumeRoleConfig rc;
    rc.role_arn = options.whoami_role_arn;
    FP_ASSIGN_OR_RETURN(rc.external_id, ExternalId(options, ctx.env));
    rc.session_name = "fleetpatch-whoami";
    rc.duration_s = 900;  // the shortest STS allows: this session is only used for one call
    rc.region = region;
    auto role = std::make_shared<aws::AssumeRoleProvider>(rc, chain, aws_context, clock);
    FP_ASSIGN_OR_RETURN(assumed, Identify(aws_context, region, role, "assuming " + options.whoami_role_arn));
  }
  return PrintIdentities(options, ctx, base, assumed, region);
}

}  // namespace fleetpatch::cli
