#include "aws/credentials_chain.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "aws/credentials_process.h"  // SplitCommandLine: profile names are shlex-quoted
#include "aws/credentials_sts.h"
#include "common/strings.h"

namespace fleetpatch::aws {

namespace {

std::string ExpandHome(const EnvLookup& env, const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    std::string home = GetEnv(env, "HOME");
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

std::string DefaultPath(const EnvLookup& env, const std::string& override_path, const char* env_name,
                        const char* file_name) {
  if (!override_path.empty()) return ExpandHome(env, override_path);
  std::string from_env = GetEnv(env, env_name);
  if (!from_env.empty()) return ExpandHome(env, from_env);
  std::string home = GetEnv(env, "HOME");
  if (home.empty()) return "";
  return home + "/.aws/" + file_name;
}

// Static keys from one section (credentials or config file). nullopt when neither key is present.
Result<std::optional<Credentials>> KeysFromSection(const IniSection* section, const std::string& profile,
                                                   const std::string& path) {
  if (section == nullptr) return std::optional<Credentials>();
  const std::string* id = section->Find("aws_access_key_id");
  const std::string* secret = section->Find("aws_secret_access_key");
  bool has_id = id != nullptr && !id->empty();
  bool has_secret = secret != nullptr && !secret->empty();
  if (!has_id && !has_secret) return std::optional<Credentials>();
  if (!has_id || !has_secret) {
    return Error::Auth("profile " + profile + " in " + path + " has " +
                       (has_id ? "aws_access_key_id but no aws_secret_access_key"
                               : "aws_secret_access_key but no aws_access_key_id") +
                       ": set both");
  }
  Credentials c;
  c.access_key_id = *id;
  c.secret_access_key = *secret;
  if (const std::string* t = section->Find("aws_session_token"); t != nullptr && !t->empty()) {
    c.session_token = *t;
  } else if (const std::string* t2 = section->Find("aws_security_token"); t2 != nullptr) {
    c.session_token = *t2;
  }
  c.source = "profile " + profile;
  return std::optional<Credentials>(std::move(c));
}

const IniSection* FindSection(const std::map<std::string, IniSection>& m, const std::string& name) {
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

// Resolves profiles into providers, following source_profile chains.
class ProfileResolver {
 public:
  ProfileResolver(const SharedProfiles& files, CredentialsContext& ctx, std::string region)
      : files_(files), ctx_(ctx), region_(std::move(region)) {}

  // The provider for the top-level profile `name`, or nullptr when it configures no credentials.
  // `env_web_identity` lets AWS_WEB_IDENTITY_TOKEN_FILE etc. apply (top level only, as in botocore).
  Result<std::shared_ptr<CredentialsProvider>> Resolve(const std::string& name, bool env_web_identity) {
    std::vector<std::string> visited{name};
    return ResolveProfile(name, visited, /*as_source=*/false, env_web_identity);
  }

 private:
  Clock& clock() { return ctx_.clock ? *ctx_.clock : static_cast<Clock&>(DefaultClock()); }
  std::string Get(const std::string& profile, const std::string& key) {
    const std::string* v = files_.Find(profile, key);
    return v ? *v : std::string();
  }
  bool Has(const std::string& profile, const std::string& key) {
    return files_.Find(profile, key) != nullptr;
  }

  Result<std::optional<Credentials>> StaticKeys(const std::string& name) {
    FP_ASSIGN_OR_RETURN(auto from_credentials, KeysFromSection(FindSection(files_.credentials, name), name,
                                                               files_.credentials_path));
    if (from_credentials) return from_credentials;
    return KeysFromSection(FindSection(files_.config, name), name, files_.config_path);
  }

  bool HasRoleConfig(const std::string& name) {
    return Has(name, "role_arn") && !Has(name, "web_identity_token_file");
  }

  Result<std::shared_ptr<CredentialsProvider>> ResolveProfile(const std::string& name,
                                                              std::vector<std::string>& visited,
                                                              bool as_source, bool env_web_identity) {
    if (!files_.Has(name)) {
      return Error::Config("profile " + name + " (named as source_profile of " + visited.front() +
                           ") does not exist in " + files_.credentials_path + " or " + files_.config_path);
    }
    if (as_source) {
      FP_ASSIGN_OR_RETURN(auto keys, StaticKeys(name));
      if (keys)
        return std::shared_ptr<CredentialsProvider>(std::make_shared<StaticCredentialsProvider>(*keys));
    }
    if (HasRoleConfig(name)) return AssumeRoleFromProfile(name, visited);

    // Web identity: the environment overrides the profile (top level only).
    std::string token_file = Get(name, "web_identity_token_file");
    std::string role_arn = Get(name, "role_arn");
    std::string session_name = Get(name, "role_session_name");
    if (env_web_identity) {
      if (auto v = GetEnv(ctx_.env, "AWS_WEB_IDENTITY_TOKEN_FILE"); !v.empty()) token_file = v;
      if (auto v = GetEnv(ctx_.env, "AWS_ROLE_ARN"); !v.empty()) role_arn = v;
      if (auto v = GetEnv(ctx_.env, "AWS_ROLE_SESSION_NAME"); !v.empty()) session_name = v;
    }
    if (!token_file.empty()) return WebIdentity(token_file, role_arn, session_name, "profile " + name);

    if (Has(name, "sso_start_url") || Has(name, "sso_session")) {
      return Error::Config("profile " + name +
                           " uses IAM Identity Center (SSO), which fleetpatch does not support directly: add "
                           "'credential_process = aws configure export-credentials --profile " +
                           name + " --format process' to a profile and use that one");
    }
    FP_ASSIGN_OR_RETURN(auto file_keys, KeysFromSection(FindSection(files_.credentials, name), name,
                                                        files_.credentials_path));
    if (file_keys)
      return std::shared_ptr<CredentialsProvider>(std::make_shared<StaticCredentialsProvider>(*file_keys));
    if (std::string process = Get(name, "credential_process"); !process.empty()) {
      std::string description = "profile " + name + " (credential_process)";
      auto p = std::make_shared<ProcessCredentialsProvider>(process, description, ctx_.process_timeout);
      return std::shared_ptr<CredentialsProvider>(
          std::make_shared<CachingProvider>(p, clock(), description, ctx_.cache));
    }
    FP_ASSIGN_OR_RETURN(auto config_keys,
                        KeysFromSection(FindSection(files_.config, name), name, files_.config_path));
    if (config_keys) {
      return std::shared_ptr<CredentialsProvider>(std::make_shared<StaticCredentialsProvider>(*config_keys));
    }
    if (as_source) {
      return Error::Auth(
          "profile " + name + " is the source_profile of " + visited.front() +
          " but has no credentials: give it aws_access_key_id/aws_secret_access_key, role_arn, "
          "credential_process or web_identity_token_file");
    }
    return std::shared_ptr<CredentialsProvider>();
  }

  Result<std::shared_ptr<CredentialsProvider>> WebIdentity(const std::string& token_file,
                                                           const std::string& role_arn,
                                                           const std::string& session_name,
                                                           const std::string& where) {
    if (role_arn.empty()) {
      return Error::Config("a web identity token file is configured (" + where +
                           " or AWS_WEB_IDENTITY_TOKEN_FILE) but no role ARN: set AWS_ROLE_ARN or role_arn");
    }
    if (ctx_.sts == nullptr) return Error::Internal("web identity credentials need STS, which is not wired");
    WebIdentityConfig config{role_arn, token_file, session_name, region_};
    return std::shared_ptr<CredentialsProvider>(
        std::make_shared<WebIdentityProvider>(config, *ctx_.sts, clock(), ctx_.cache));
  }

  Result<std::shared_ptr<CredentialsProvider>> AssumeRoleFromProfile(const std::string& name,
                                                                     std::vector<std::string>& visited) {
    const std::string role_arn = Get(name, "role_arn");
    if (Has(name, "mfa_serial")) {
      return Error::Config(
          "profile " + name +
          " sets mfa_serial, which fleetpatch does not support (it runs "
          "unattended and cannot prompt for an MFA code): use a role whose trust policy does not "
          "require MFA, or export session credentials from 'aws sts get-session-token' first");
    }
    std::string source_profile = Get(name, "source_profile");
    std::string credential_source = Get(name, "credential_source");
    if (!source_profile.empty() && !credential_source.empty()) {
      return Error::Config("profile " + name + " sets both source_profile and credential_source: keep one");
    }
    if (source_profile.empty() && credential_source.empty()) {
      return Error::Config("profile " + name +
                           " sets role_arn but neither source_profile nor credential_source: "
                           "say which credentials assume the role");
    }
    AssumeRoleConfig config;
    config.role_arn = role_arn;
    config.external_id = Get(name, "external_id");
    config.session_name = Get(name, "role_session_name");
    config.region = region_;
    if (std::string d = Get(name, "duration_seconds"); !d.empty()) {
      int value = 0;
      auto [ptr, ec] = std::from_chars(d.data(), d.data() + d.size(), value);
      if (ec != std::errc() || ptr != d.data() + d.size() || value < 900 || value > 43200) {
        return Error::Config("profile " + name +
                             ": duration_seconds must be a whole number from 900 to 43200");
      }
      config.duration_s = value;
    }
    if (ctx_.sts == nullptr) return Error::Internal("assuming a role needs STS, which is not wired");

    std::shared_ptr<CredentialsProvider> source;
    if (!source_profile.empty()) {
      bool self_with_keys = false;
      if (source_profile == name) {
        FP_ASSIGN_OR_RETURN(auto keys, StaticKeys(name));
        self_with_keys = keys.has_value();
      }
      if (!self_with_keys && std::find(visited.begin(), visited.end(), source_profile) != visited.end()) {
        visited.push_back(source_profile);
        return Error::Config("source_profile cycle: " + Join(visited, " -> ") +
                             "; break the loop by giving one of them static keys or a credential_source");
      }
      if (self_with_keys) {
        FP_ASSIGN_OR_RETURN(auto keys, StaticKeys(name));
        source = std::make_shared<StaticCredentialsProvider>(*keys);
      } else {
        visited.push_back(source_profile);
        FP_ASSIGN_OR_RETURN(source, ResolveProfile(source_profile, visited, /*as_source=*/true, false));
      }
    } else {
      FP_ASSIGN_OR_RETURN(source, CredentialSource(name, credential_source));
    }
    return std::shared_ptr<CredentialsProvider>(
        std::make_shared<AssumeRoleProvider>(config, source, *ctx_.sts, clock(), ctx_.cache));
  }

  Result<std::shared_ptr<CredentialsProvider>> CredentialSource(const std::string& profile,
                                                                const std::string& which) {
    if (which == "Environment")
      return std::shared_ptr<CredentialsProvider>(std::make_shared<EnvironmentCredentialsProvider>(ctx_.env));
    if (which == "Ec2InstanceMetadata" || which == "EcsContainer") {
      if (ctx_.http == nullptr)
        return Error::Internal("credential_source " + which + " needs an HTTP transport");
      std::shared_ptr<CredentialsProvider> p;
      if (which == "EcsContainer") {
        p = std::make_shared<ContainerCredentialsProvider>(ctx_.env, *ctx_.http, ctx_.container);
      } else {
        p = std::make_shared<ImdsCredentialsProvider>(ctx_.env, *ctx_.http, clock(), ctx_.imds);
      }
      return std::shared_ptr<CredentialsProvider>(
          std::make_shared<CachingProvider>(p, clock(), which, ctx_.cache));
    }
    return Error::Config("profile " + profile + ": credential_source '" + which +
                         "' is not one of Environment, Ec2InstanceMetadata, EcsContainer");
  }

  const SharedProfiles& files_;
  CredentialsContext& ctx_;
  std::string region_;
};

}  // namespace

const std::string* SharedProfiles::Find(const std::string& profile, const std::string& key) const {
  if (const IniSection* s = FindSection(credentials, profile)) {
    if (const std::string* v = s->Find(key)) return v;
  }
  if (const IniSection* s = FindSection(config, profile)) return s->Find(key);
  return nullptr;
}

Result<SharedProfiles> LoadSharedProfiles(const EnvLookup& env, const std::string& credentials_file_override,
                                          const std::string& config_file_override) {
  SharedProfiles out;
  out.credentials_path =
      DefaultPath(env, credentials_file_override, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  out.config_path = DefaultPath(env, config_file_override, "AWS_CONFIG_FILE", "config");
  if (!out.credentials_path.empty()) {
    FP_ASSIGN_OR_RETURN(IniFile f, LoadIniFile(out.credentials_path));
    out.credentials = std::move(f.sections);
  } else {
    out.credentials_path = "~/.aws/credentials (HOME is not set)";
  }
  if (!out.config_path.empty()) {
    FP_ASSIGN_OR_RETURN(IniFile f, LoadIniFile(out.config_path));
    for (const std::string& section : f.order) {
      // "[default]" and "[profile NAME]" (NAME may be quoted) are profiles; when both "[default]" and
      // "[profile default]" exist the later one wins, as in the CLI. Other sections ([sso-session x],
      // [services x], [plugins]) hold no profiles.
      std::string name;
      if (section == "default") {
        name = section;
      } else if (section.rfind("profile", 0) == 0) {
        auto words = SplitCommandLine(section);
        if (!words.ok() || words->size() != 2 || (*words)[0] != "profile") continue;
        name = (*words)[1];
      } else {
        continue;
      }
      out.config[name] = f.sections.at(section);
    }
  } else {
    out.config_path = "~/.aws/config (HOME is not set)";
  }
  return out;
}

DefaultCredentialsChain::DefaultCredentialsChain(CredentialsChainOptions options, CredentialsContext context)
    : options_(std::move(options)), context_(std::move(context)) {
  if (!context_.env) context_.env = ProcessEnv();
}

std::string DefaultCredentialsChain::ProfileName() const {
  if (!options_.profile.empty()) return options_.profile;
  if (auto p = GetEnv(context_.env, "AWS_PROFILE"); !p.empty()) return p;
  if (auto p = GetEnv(context_.env, "AWS_DEFAULT_PROFILE"); !p.empty()) return p;
  return "default";
}

Result<std::string> DefaultCredentialsChain::Region() const {
  if (!options_.region.empty()) return options_.region;
  if (auto r = GetEnv(context_.env, "AWS_REGION"); !r.empty()) return r;
  if (auto r = GetEnv(context_.env, "AWS_DEFAULT_REGION"); !r.empty()) return r;
  FP_ASSIGN_OR_RETURN(SharedProfiles files,
                      LoadSharedProfiles(context_.env, options_.credentials_file, options_.config_file));
  if (const IniSection* s = FindSection(files.config, ProfileName())) {
    if (const std::string* r = s->Find("region"); r != nullptr && !r->empty()) return *r;
  }
  return std::string("us-east-1");
}

// The AWS CLI's order: explicit keys, the environment, the profile (with web identity), web
// identity from the environment alone, the container endpoint, instance metadata.
Result<std::shared_ptr<CredentialsProvider>> DefaultCredentialsChain::Resolve() {
  std::vector<std::string> tried;
  Clock& clock = context_.clock ? *context_.clock : static_cast<Clock&>(DefaultClock());
  if (!options_.access_key_id.empty() || !options_.secret_access_key.empty()) {
    if (options_.access_key_id.empty() || options_.secret_access_key.empty()) {
      return Error::Config("explicit credentials need both an access key id and a secret access key");
    }
    Credentials c{options_.access_key_id, options_.secret_access_key, options_.session_token, std::nullopt,
                  "explicit options"};
    return ProviderPtr(std::make_shared<StaticCredentialsProvider>(c));
  }
  tried.push_back("explicit options (none given)");

  // A profile named with --profile or AWS_PROFILE (even "default") must exist: the CLI refuses to run
  // otherwise, whatever else is configured.
  const std::string profile = ProfileName();
  const bool profile_named = !options_.profile.empty() || !GetEnv(context_.env, "AWS_PROFILE").empty() ||
                             !GetEnv(context_.env, "AWS_DEFAULT_PROFILE").empty();
  std::optional<SharedProfiles> files;  // read only when needed: broken files do not stop env keys
  auto load_files = [&]() -> Status {
    if (!files) {
      FP_ASSIGN_OR_RETURN(files,
                          LoadSharedProfiles(context_.env, options_.credentials_file, options_.config_file));
    }
    return OkStatus();
  };
  if (profile_named) {
    FP_RETURN_IF_ERROR(load_files());
    if (!files->Has(profile)) {
      return Error::Config("profile " + profile + " does not exist in " + files->credentials_path + " or " +
                           files->config_path +
                           ": check --profile / AWS_PROFILE, or run 'aws configure --profile " + profile +
                           "'");
    }
  }
  // The environment, unless a profile was named with --profile (the CLI drops the environment then).
  if (options_.profile.empty()) {
    FP_ASSIGN_OR_RETURN(auto env_creds, CredentialsFromEnvironment(context_.env));
    if (env_creds) return ProviderPtr(std::make_shared<StaticCredentialsProvider>(*env_creds));
    tried.push_back("environment (AWS_ACCESS_KEY_ID not set)");
  } else {
    tried.push_back("environment (skipped: --profile given)");
  }
  FP_RETURN_IF_ERROR(load_files());
  FP_ASSIGN_OR_RETURN(ProviderPtr from_profile, FromProfileOrWebIdentity(*files, clock, &tried));
  if (from_profile) return from_profile;
  FP_ASSIGN_OR_RETURN(ProviderPtr from_container, FromContainer(clock, &tried));
  if (from_container) return from_container;
  FP_ASSIGN_OR_RETURN(ProviderPtr from_imds, FromInstanceMetadata(clock, &tried));
  if (from_imds) return from_imds;
  return Error::Auth(
      "no credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, add a profile to " +
      files->credentials_path + ", or run on an instance with a role. Tried: " + Join(tried, "; "));
}

Result<DefaultCredentialsChain::ProviderPtr> DefaultCredentialsChain::FromProfileOrWebIdentity(
    const SharedProfiles& files, Clock& clock, std::vector<std::string>* tried) {
  const std::string profile = ProfileName();
  FP_ASSIGN_OR_RETURN(std::string region, Region());
  if (files.Has(profile)) {
    ProfileResolver resolver(files, context_, region);
    FP_ASSIGN_OR_RETURN(auto p, resolver.Resolve(profile, /*env_web_identity=*/true));
    if (p) return p;
    tried->push_back("profile " + profile + " (no credentials in it)");
  } else {
    tried->push_back("profile default (not in " + files.credentials_path + " or " + files.config_path + ")");
    FP_ASSIGN_OR_RETURN(ProviderPtr p, FromWebIdentityEnvironment(region, clock));
    if (p) return p;
  }
  tried->push_back("web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)");
  return ProviderPtr();
}

Result<DefaultCredentialsChain::ProviderPtr> DefaultCredentialsChain::FromWebIdentityEnvironment(
    const std::string& region, Clock& clock) {
  std::string token_file = GetEnv(context_.env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (token_file.empty()) return ProviderPtr();
  std::string role_arn = GetEnv(context_.env, "AWS_ROLE_ARN");
  if (role_arn.empty()) {
    return Error::Config(
        "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not: set the role to assume");
  }
  if (context_.sts == nullptr)
    return Error::Internal("web identity credentials need STS, which is not wired");
  WebIdentityConfig config{role_arn, token_file, GetEnv(context_.env, "AWS_ROLE_SESSION_NAME"), region};
  return ProviderPtr(std::make_shared<WebIdentityProvider>(config, *context_.sts, clock, context_.cache));
}

Result<DefaultCredentialsChain::ProviderPtr> DefaultCredentialsChain::FromContainer(
    Clock& clock, std::vector<std::string>* tried) {
  if (!ContainerCredentialsProvider::IsConfigured(context_.env)) {
    tried->push_back("container (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set)");
    return ProviderPtr();
  }
  if (context_.http == nullptr) return Error::Internal("container credentials need an HTTP transport");
  FP_RETURN_IF_ERROR(ContainerCredentialsProvider::ResolveUrl(context_.env));
  auto p = std::make_shared<ContainerCredentialsProvider>(context_.env, *context_.http, context_.container);
  return ProviderPtr(
      std::make_shared<CachingProvider>(p, clock, "container credentials endpoint", context_.cache));
}

Result<DefaultCredentialsChain::ProviderPtr> DefaultCredentialsChain::FromInstanceMetadata(
    Clock& clock, std::vector<std::string>* tried) {
  if (context_.http == nullptr) {
    tried->push_back("instance metadata (no HTTP transport)");
    return ProviderPtr();
  }
  if (ImdsCredentialsProvider::IsDisabled(context_.env)) {
    tried->push_back("instance metadata (disabled by AWS_EC2_METADATA_DISABLED)");
    return ProviderPtr();
  }
  auto imds = std::make_shared<ImdsCredentialsProvider>(context_.env, *context_.http, clock, context_.imds);
  std::string reason;
  FP_ASSIGN_OR_RETURN(auto first, imds->TryGetCredentials(&reason));
  if (!first) {
    tried->push_back("instance metadata (" + reason + ")");
    return ProviderPtr();
  }
  auto cached = std::make_shared<CachingProvider>(imds, clock, "EC2 instance metadata", context_.cache);
  cached->Seed(*first);
  return ProviderPtr(cached);
}

Result<Credentials> DefaultCredentialsChain::GetCredentials() {
  std::shared_ptr<CredentialsProvider> provider;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!resolved_) {
      auto r = Resolve();
      if (!r.ok()) {
        spdlog::debug("credentials chain: {}", r.error().message);
        return r.error();
      }
      resolved_ = std::move(r).value();
    }
    provider = resolved_;
  }
  auto c = provider->GetCredentials();
  if (c.ok()) std::call_once(announced_, [&] { spdlog::debug("credentials: using {}", c->Redacted()); });
  return c;
}

}  // namespace fleetpatch::aws
