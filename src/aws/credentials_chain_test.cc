#include "aws/credentials_chain.h"

#include <gtest/gtest.h>

#include <barrier>
#include <thread>

#include "aws/credentials_testing.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;
using testing::FakeSts;
using testing::HttplibTransport;
using testing::LocalServer;
using testing::WriteFile;
using testing::WriteScript;

// Every request fails as if nothing listened: IMDS is "not there" without waiting for timeouts.
class UnreachableTransport final : public HttpTransport {
 public:
  Result<HttpResponse> Send(const HttpRequest&, const HttpOptions&) override {
    ++sends;
    return Error::Connectivity("connection refused");
  }
  std::atomic<int> sends{0};
};

struct ChainFixture {
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  FakeSts sts;
  UnreachableTransport unreachable;
  HttpTransport* http = &unreachable;
  std::map<std::string, std::string> env;

  ChainFixture() {
    env["HOME"] = dir.path().string();
    sts.expiration = clock.Now() + 1h;
  }
  void CredentialsFile(const std::string& text) { WriteFile(dir.path() / ".aws" / "credentials", text); }
  void ConfigFile(const std::string& text) { WriteFile(dir.path() / ".aws" / "config", text); }
  std::unique_ptr<DefaultCredentialsChain> Chain(CredentialsChainOptions options = {}) {
    CredentialsContext ctx;
    ctx.env = MapEnv(env);
    ctx.http = http;
    ctx.sts = &sts;
    ctx.clock = &clock;
    return std::make_unique<DefaultCredentialsChain>(options, ctx);
  }
  Result<Credentials> Get(CredentialsChainOptions options = {}) { return Chain(options)->GetCredentials(); }
};

CredentialsChainOptions Profile(const std::string& name) {
  CredentialsChainOptions o;
  o.profile = name;
  return o;
}

void ExpectError(const Result<Credentials>& r, ErrorCategory category, const std::string& fragment) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << fragment << "; got " << r->Redacted();
  EXPECT_EQ(r.error().category, category) << r.error().message;
  EXPECT_NE(r.error().message.find(fragment), std::string::npos) << r.error().message;
}

TEST(ChainTest, ExplicitOptionsWinOverEverything) {
  ChainFixture f;
  f.env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  f.env["AWS_SECRET_ACCESS_KEY"] = "envSecret";
  CredentialsChainOptions o;
  o.access_key_id = "AKIDEXPLICIT";
  o.secret_access_key = "explicitSecret";
  o.session_token = "explicitToken";
  auto c = f.Get(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIDEXPLICIT");
  EXPECT_EQ(c->session_token, "explicitToken");
  EXPECT_EQ(c->source, "explicit options");
  o.secret_access_key.clear();
  ExpectError(f.Get(o), ErrorCategory::kConfig, "both");
}

TEST(ChainTest, EnvironmentWinsOverTheProfile) {
  ChainFixture f;
  f.CredentialsFile("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = fileSecret\n");
  f.env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  f.env["AWS_SECRET_ACCESS_KEY"] = "envSecret";
  f.env["AWS_SECURITY_TOKEN"] = "legacyToken";
  auto c = f.Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->session_token, "legacyToken");
  EXPECT_EQ(c->source, "environment");
  f.env["AWS_SESSION_TOKEN"] = "sessionToken";
  EXPECT_EQ(f.Get()->session_token, "sessionToken");
  // AWS_PROFILE does not displace environment keys (as in the CLI)...
  f.CredentialsFile("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = devSecret\n");
  f.env["AWS_PROFILE"] = "dev";
  EXPECT_EQ(f.Get()->access_key_id, "AKIDENV");
  // ...but --profile does.
  EXPECT_EQ(f.Get(Profile("dev"))->access_key_id, "AKIDDEV");
}

TEST(ChainTest, HalfAnEnvironmentKeyPairIsAnError) {
  ChainFixture f;
  f.env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  ExpectError(f.Get(), ErrorCategory::kAuth, "AWS_SECRET_ACCESS_KEY is not");
}

TEST(ChainTest, StaticKeysFromTheSharedFiles) {
  ChainFixture f;
  f.CredentialsFile(
      "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\naws_session_token = t1\n"
      "[both]\naws_access_key_id = AKIDCREDSFILE\naws_secret_access_key = s2\n");
  f.ConfigFile(
      "[profile both]\naws_access_key_id = AKIDCONFIGFILE\naws_secret_access_key = s3\n"
      "[profile cfg]\naws_access_key_id = AKIDCFG\naws_secret_access_key = s4\n"
      "[cfg]\naws_access_key_id = AKIDWRONG\naws_secret_access_key = s5\n");
  auto d = f.Get();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(d->session_token, "t1");
  EXPECT_EQ(d->source, "profile default");
  EXPECT_EQ(f.Get(Profile("both"))->access_key_id, "AKIDCREDSFILE");  // the credentials file wins
  EXPECT_EQ(f.Get(Profile("cfg"))->access_key_id, "AKIDCFG");         // config sections are [profile NAME]
  f.env["AWS_PROFILE"] = "cfg";
  EXPECT_EQ(f.Get()->access_key_id, "AKIDCFG");
}

TEST(ChainTest, FileLocationsFromEnvironmentAndOptions) {
  ChainFixture f;
  WriteFile(f.dir.path() / "elsewhere" / "creds",
            "[default]\naws_access_key_id = AKIDENVFILE\naws_secret_access_key = s\n");
  WriteFile(f.dir.path() / "other" / "creds",
            "[default]\naws_access_key_id = AKIDOPTFILE\naws_secret_access_key = s\n");
  WriteFile(f.dir.path() / "elsewhere" / "conf",
            "[profile p]\naws_access_key_id = AKIDENVCONF\naws_secret_access_key = s\n");
  f.env["AWS_SHARED_CREDENTIALS_FILE"] = (f.dir.path() / "elsewhere" / "creds").string();
  f.env["AWS_CONFIG_FILE"] = (f.dir.path() / "elsewhere" / "conf").string();
  EXPECT_EQ(f.Get()->access_key_id, "AKIDENVFILE");
  EXPECT_EQ(f.Get(Profile("p"))->access_key_id, "AKIDENVCONF");
  CredentialsChainOptions o;
  o.credentials_file = (f.dir.path() / "other" / "creds").string();
  EXPECT_EQ(f.Get(o)->access_key_id, "AKIDOPTFILE");
  f.env["AWS_SHARED_CREDENTIALS_FILE"] = "~/elsewhere/creds";  // ~ expands to HOME
  EXPECT_EQ(f.Get()->access_key_id, "AKIDENVFILE");
}

TEST(ChainTest, NamedProfileThatDoesNotExistIsAnError) {
  ChainFixture f;
  f.CredentialsFile("[default]\naws_access_key_id = AKID\naws_secret_access_key = s\n");
  ExpectError(f.Get(Profile("prod")), ErrorCategory::kConfig, "profile prod does not exist");
  f.env["AWS_PROFILE"] = "staging";
  ExpectError(f.Get(), ErrorCategory::kConfig, "profile staging does not exist");
  // As in the CLI (checked with aws-cli 2.9): a named profile must exist even when environment keys
  // are set, and even when it is "default"; an unnamed "default" may be absent.
  f.env["AWS_ACCESS_KEY_ID"] = "AKIDENV";
  f.env["AWS_SECRET_ACCESS_KEY"] = "envSecret";
  ExpectError(f.Get(), ErrorCategory::kConfig, "profile staging does not exist");
  std::filesystem::remove(f.dir.path() / ".aws" / "credentials");
  f.env["AWS_PROFILE"] = "default";
  ExpectError(f.Get(), ErrorCategory::kConfig, "profile default does not exist");
  f.env.erase("AWS_PROFILE");
  EXPECT_EQ(f.Get()->access_key_id, "AKIDENV");
}

TEST(ChainTest, ConfigProfileSectionNamesFollowTheCli) {
  ChainFixture f;
  // Behaviour checked against aws-cli 2.9 ("aws configure export-credentials").
  f.ConfigFile(
      "[profile default]\naws_access_key_id = AKIDPROFILEDEFAULT\naws_secret_access_key = s\n"
      "[default]\naws_access_key_id = AKIDBAREDEFAULT\naws_secret_access_key = s\n"
      "[profile \"quoted name\"]\naws_access_key_id = AKIDQUOTED\naws_secret_access_key = s\n"
      "[profile\ttabbed]\naws_access_key_id = AKIDTABBED\naws_secret_access_key = s\n"
      "[profile hdr] ; trailing comment\naws_access_key_id: AKIDHDR\naws_secret_access_key = s\n"
      "[profile two words here]\naws_access_key_id = AKIDIGNORED\naws_secret_access_key = s\n"
      "[sso-session corp]\nsso_region = us-east-1\n");
  EXPECT_EQ(f.Get()->access_key_id, "AKIDBAREDEFAULT");  // the later of the two default sections
  EXPECT_EQ(f.Get(Profile("quoted name"))->access_key_id, "AKIDQUOTED");
  EXPECT_EQ(f.Get(Profile("tabbed"))->access_key_id, "AKIDTABBED");
  EXPECT_EQ(f.Get(Profile("hdr"))->access_key_id, "AKIDHDR");
  ExpectError(f.Get(Profile("two words here")), ErrorCategory::kConfig, "does not exist");
  ExpectError(f.Get(Profile("corp")), ErrorCategory::kConfig, "does not exist");
}

TEST(ChainTest, IndentedKeyContinuesTheValueAboveLikeTheCli) {
  ChainFixture f;
  f.ConfigFile("[profile cont]\naws_access_key_id = AKIDCONT\n  aws_secret_access_key = s\n");
  ExpectError(f.Get(Profile("cont")), ErrorCategory::kAuth, "no aws_secret_access_key");
}

TEST(ChainTest, PartialKeysInAProfileAreAnError) {
  ChainFixture f;
  f.CredentialsFile("[default]\naws_access_key_id = AKID\n");
  ExpectError(f.Get(), ErrorCategory::kAuth, "no aws_secret_access_key");
}

TEST(ChainTest, MalformedSharedFileNamesFileAndLine) {
  ChainFixture f;
  f.ConfigFile("[default]\nregion = eu-west-1\nthis is not ini\n");
  ExpectError(f.Get(), ErrorCategory::kConfig, (f.dir.path() / ".aws" / "config").string() + " line 3");
}

TEST(ChainTest, RoleChainsThroughSourceProfiles) {
  ChainFixture f;
  f.CredentialsFile("[base]\naws_access_key_id = AKIDBASEEXAMPLE\naws_secret_access_key = baseSecret\n");
  f.ConfigFile(
      "[profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = middle\nexternal_id = ext-1\n"
      "role_session_name = patch-run\nduration_seconds = 1800\nregion = eu-central-1\n"
      "[profile middle]\nrole_arn = arn:aws:iam::2:role/middle\nsource_profile = base\n");
  auto c = f.Get(Profile("admin"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAROLE2EXAMPLE");
  EXPECT_EQ(c->source, "assume-role arn:aws:iam::1:role/admin");
  auto calls = f.sts.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].params.role_arn, "arn:aws:iam::2:role/middle");
  EXPECT_EQ(calls[0].source_access_key_id, "AKIDBASEEXAMPLE");
  EXPECT_EQ(calls[1].params.role_arn, "arn:aws:iam::1:role/admin");
  EXPECT_EQ(calls[1].source_access_key_id, "ASIAROLE1EXAMPLE");
  EXPECT_EQ(calls[1].params.external_id, "ext-1");
  EXPECT_EQ(calls[1].params.session_name, "patch-run");
  EXPECT_EQ(calls[1].params.duration_s, 1800);
  EXPECT_EQ(calls[1].region, "eu-central-1");  // the profile's region
}

TEST(ChainTest, ASourceProfileWithKeysAndARoleUsesItsKeys) {
  ChainFixture f;
  f.ConfigFile(
      "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = src\n"
      "[profile src]\nrole_arn = arn:aws:iam::2:role/ignored\nsource_profile = top\n"
      "aws_access_key_id = AKIDSRCEXAMPLE\naws_secret_access_key = srcSecret\n");
  auto c = f.Get(Profile("top"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto calls = f.sts.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].params.role_arn, "arn:aws:iam::1:role/top");
  EXPECT_EQ(calls[0].source_access_key_id, "AKIDSRCEXAMPLE");
}

TEST(ChainTest, SelfReferencingProfileWithKeysAssumesWithThem) {
  ChainFixture f;
  f.CredentialsFile(
      "[self]\nrole_arn = arn:aws:iam::1:role/self\nsource_profile = self\n"
      "aws_access_key_id = AKIDSELFEXAMPLE\naws_secret_access_key = selfSecret\n");
  auto c = f.Get(Profile("self"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(f.sts.count(), 1);
  EXPECT_EQ(f.sts.calls()[0].source_access_key_id, "AKIDSELFEXAMPLE");
}

TEST(ChainTest, SourceProfileCyclesAreDetected) {
  ChainFixture f;
  f.ConfigFile(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
      "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n"
      "[profile me]\nrole_arn = arn:aws:iam::1:role/me\nsource_profile = me\n");
  ExpectError(f.Get(Profile("a")), ErrorCategory::kConfig, "cycle: a -> b -> c -> a");
  ExpectError(f.Get(Profile("me")), ErrorCategory::kConfig, "cycle: me -> me");
  EXPECT_EQ(f.sts.count(), 0);
}

TEST(ChainTest, RoleConfigurationErrors) {
  ChainFixture f;
  f.CredentialsFile("[base]\naws_access_key_id = AKID\naws_secret_access_key = s\n[empty]\nregion = x\n");
  f.ConfigFile(
      "[profile nosource]\nrole_arn = arn:aws:iam::1:role/x\n"
      "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\ncredential_source = "
      "Environment\n"
      "[profile badsource]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Laptop\n"
      "[profile mfa]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nmfa_serial = "
      "arn:aws:iam::1:mfa/me\n"
      "[profile duration]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nduration_seconds = 1h\n"
      "[profile missing]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = ghost\n"
      "[profile emptysrc]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = empty\n");
  ExpectError(f.Get(Profile("nosource")), ErrorCategory::kConfig,
              "neither source_profile nor credential_source");
  ExpectError(f.Get(Profile("both")), ErrorCategory::kConfig, "both source_profile and credential_source");
  ExpectError(f.Get(Profile("badsource")), ErrorCategory::kConfig, "credential_source 'Laptop'");
  ExpectError(f.Get(Profile("mfa")), ErrorCategory::kConfig, "mfa_serial");
  ExpectError(f.Get(Profile("duration")), ErrorCategory::kConfig, "duration_seconds");
  ExpectError(f.Get(Profile("missing")), ErrorCategory::kConfig, "profile ghost");
  ExpectError(f.Get(Profile("emptysrc")), ErrorCategory::kAuth, "has no credentials");
  EXPECT_EQ(f.sts.count(), 0);
}

TEST(ChainTest, CredentialSourceEnvironment) {
  ChainFixture f;
  f.ConfigFile("[profile envrole]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Environment\n");
  f.env["AWS_ACCESS_KEY_ID"] = "AKIDFROMENV";
  f.env["AWS_SECRET_ACCESS_KEY"] = "envSecret";
  auto c = f.Get(Profile("envrole"));  // --profile: the environment is only the role's source
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source, "assume-role arn:aws:iam::1:role/x");
  EXPECT_EQ(f.sts.calls().at(0).source_access_key_id, "AKIDFROMENV");
  f.env.erase("AWS_ACCESS_KEY_ID");
  f.env.erase("AWS_SECRET_ACCESS_KEY");
  ExpectError(f.Get(Profile("envrole")), ErrorCategory::kAuth, "credential_source = Environment");
}

// A tiny IMDS + container endpoint on one local server (no token checks: ImdsTest covers those).
class PlatformServer {
 public:
  PlatformServer() {
    auto& s = server_.server();
    s.Put("/latest/api/token",
          [](const httplib::Request&, httplib::Response& res) { res.set_content("tok", "text/plain"); });
    s.Get("/latest/meta-data/iam/security-credentials/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("instance-role", "text/plain");
    });
    s.Get("/latest/meta-data/iam/security-credentials/instance-role",
          [](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imdsSecret",)"
                            R"("Token":"imdsToken","Expiration":"2015-08-30T18:36:00Z"})",
                            "application/json");
          });
    s.Get("/container", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(
          R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"containerSecret","Token":"containerToken",)"
          R"("Expiration":"2015-08-30T18:36:00Z"})",
          "application/json");
    });
    server_.Start();
  }
  std::string Url() const { return server_.Url(); }

 private:
  LocalServer server_;
};

TEST(ChainTest, CredentialSourceInstanceMetadataAndContainer) {
  PlatformServer platform;
  HttplibTransport http;
  ChainFixture f;
  f.http = &http;
  f.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = platform.Url();
  f.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = platform.Url() + "/container";
  f.ConfigFile(
      "[profile ec2]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Ec2InstanceMetadata\n"
      "[profile ecs]\nrole_arn = arn:aws:iam::1:role/y\ncredential_source = EcsContainer\n");
  ASSERT_TRUE(f.Get(Profile("ec2")).ok());
  ASSERT_TRUE(f.Get(Profile("ecs")).ok());
  auto calls = f.sts.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].source_access_key_id, "ASIAIMDS");
  EXPECT_EQ(calls[1].source_access_key_id, "ASIACONTAINER");
}

TEST(ChainTest, ContainerThenInstanceMetadataWhenNothingElseIsConfigured) {
  PlatformServer platform;
  HttplibTransport http;
  ChainFixture f;
  f.http = &http;
  f.ConfigFile("[default]\nregion = eu-west-1\n");  // a profile without credentials falls through
  f.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = platform.Url();
  auto imds = f.Get();
  ASSERT_TRUE(imds.ok()) << imds.error().message;
  EXPECT_EQ(imds->access_key_id, "ASIAIMDS");
  EXPECT_EQ(imds->source, "instance metadata (role instance-role)");
  f.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = platform.Url() + "/container";
  auto container = f.Get();
  ASSERT_TRUE(container.ok()) << container.error().message;
  EXPECT_EQ(container->access_key_id, "ASIACONTAINER");
  f.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  ExpectError(f.Get(), ErrorCategory::kConfig, "not allowed");
}

TEST(ChainTest, CredentialProcessInAProfileIsCachedUntilExpiry) {
  ChainFixture f;
  auto counter = f.dir.path() / "runs";
  std::string script =
      WriteScript(f.dir.path() / "helper.sh",
                  "echo run >> '" + counter.string() +
                      "'\n"
                      "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"procSecret\","
                      "\"SessionToken\":\"procToken\",\"Expiration\":\"2015-08-30T13:36:00Z\"}'\n");
  f.ConfigFile("[profile proc]\ncredential_process = " + script + " --flag 'two words'\n");
  auto chain = f.Chain(Profile("proc"));
  auto c = chain->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDPROC");
  EXPECT_EQ(c->source, "profile proc (credential_process)");
  ASSERT_TRUE(chain->GetCredentials().ok());
  EXPECT_EQ(fleetpatch::testing::ReadFileOrDie(counter), "run\n");
}

TEST(ChainTest, PrecedenceInsideAProfile) {
  ChainFixture f;
  std::string script =
      WriteScript(f.dir.path() / "helper.sh",
                  "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"procSecret\"}'\n");
  f.CredentialsFile("[p1]\naws_access_key_id = AKIDCREDFILE\naws_secret_access_key = s\n");
  f.ConfigFile("[profile p1]\ncredential_process = " + script +
               "\n"
               "[profile p2]\ncredential_process = " +
               script + "\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n");
  EXPECT_EQ(f.Get(Profile("p1"))->access_key_id, "AKIDCREDFILE");  // credentials file > process
  EXPECT_EQ(f.Get(Profile("p2"))->access_key_id, "AKIDPROC");      // process > config file keys
}

TEST(ChainTest, WebIdentityFromProfileAndEnvironment) {
  ChainFixture f;
  auto token = f.dir.path() / "token";
  auto env_token = f.dir.path() / "env-token";
  WriteFile(token, "profile-jwt");
  WriteFile(env_token, "env-jwt");
  f.ConfigFile("[profile eks]\nweb_identity_token_file = " + token.string() +
               "\nrole_arn = arn:aws:iam::1:role/eks\nrole_session_name = s1\n"
               "[profile keys]\naws_access_key_id = AKIDKEYS\naws_secret_access_key = s\n");
  auto c = f.Get(Profile("eks"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->source, "web-identity arn:aws:iam::1:role/eks");
  auto calls = f.sts.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].token, "profile-jwt");
  EXPECT_EQ(calls[0].params.session_name, "s1");

  // The environment alone (no profile at all) is enough...
  f.env["AWS_WEB_IDENTITY_TOKEN_FILE"] = env_token.string();
  f.env["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/envrole";
  f.env["AWS_ROLE_SESSION_NAME"] = "pod-1";
  std::filesystem::remove(f.dir.path() / ".aws" / "config");
  ASSERT_TRUE(f.Get().ok());
  calls = f.sts.calls();
  EXPECT_EQ(calls.back().token, "env-jwt");
  EXPECT_EQ(calls.back().params.role_arn, "arn:aws:iam::1:role/envrole");
  EXPECT_EQ(calls.back().params.session_name, "pod-1");
  // ...and it overrides the profile's static keys, as botocore's provider order does.
  f.ConfigFile("[default]\naws_access_key_id = AKIDKEYS\naws_secret_access_key = s\n");
  EXPECT_EQ(f.Get()->source, "web-identity arn:aws:iam::1:role/envrole");
  f.env.erase("AWS_ROLE_ARN");
  std::filesystem::remove(f.dir.path() / ".aws" / "config");
  ExpectError(f.Get(), ErrorCategory::kConfig, "AWS_ROLE_ARN");
}

TEST(ChainTest, SsoProfilesAreRejectedWithAWorkaround) {
  ChainFixture f;
  f.ConfigFile("[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Admin\n");
  ExpectError(f.Get(Profile("sso")), ErrorCategory::kConfig,
              "credential_process = aws configure export-credentials");
}

TEST(ChainTest, NothingFoundListsWhatWasTried) {
  ChainFixture f;
  auto r = f.Get();
  ExpectError(r, ErrorCategory::kAuth, "no credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID");
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("instance with a role"), std::string::npos);
  EXPECT_NE(m.find("environment (AWS_ACCESS_KEY_ID not set)"), std::string::npos) << m;
  EXPECT_NE(m.find("profile default"), std::string::npos);
  EXPECT_NE(m.find("container"), std::string::npos);
  EXPECT_NE(m.find("instance metadata (no instance metadata service answered"), std::string::npos) << m;
  EXPECT_EQ(f.unreachable.sends, 2);  // one retry, then on

  f.env["AWS_EC2_METADATA_DISABLED"] = "true";
  auto disabled = f.Get();
  ExpectError(disabled, ErrorCategory::kAuth, "disabled by AWS_EC2_METADATA_DISABLED");
  EXPECT_EQ(f.unreachable.sends, 2);
}

TEST(ChainTest, RegionForStsCalls) {
  ChainFixture f;
  f.CredentialsFile("[base]\naws_access_key_id = AKID\naws_secret_access_key = s\n");
  f.ConfigFile(
      "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\nregion = ap-southeast-2\n"
      "[profile noregion]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n");
  EXPECT_EQ(*f.Chain(Profile("noregion"))->Region(), "us-east-1");
  EXPECT_EQ(*f.Chain(Profile("r"))->Region(), "ap-southeast-2");
  f.env["AWS_DEFAULT_REGION"] = "eu-west-3";
  EXPECT_EQ(*f.Chain(Profile("r"))->Region(), "eu-west-3");
  f.env["AWS_REGION"] = "eu-west-2";
  EXPECT_EQ(*f.Chain(Profile("r"))->Region(), "eu-west-2");
  auto o = Profile("r");
  o.region = "ca-central-1";
  ASSERT_TRUE(f.Get(o).ok());
  EXPECT_EQ(f.sts.calls().back().region, "ca-central-1");
}

TEST(ChainTest, ConcurrentCallersShareOneResolutionAndOneAssumeRole) {
  ChainFixture f;
  f.sts.delay = 30ms;
  f.CredentialsFile("[base]\naws_access_key_id = AKID\naws_secret_access_key = s\n");
  f.ConfigFile("[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n");
  auto chain = f.Chain(Profile("r"));
  std::barrier start(16);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      if (chain->GetCredentials().ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 16);
  EXPECT_EQ(f.sts.count(), 1);
}

}  // namespace
}  // namespace fleetpatch::aws
