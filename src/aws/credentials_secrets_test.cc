// Proves that secrets never leak: for every credential source and every error path, no secret key,
// session token, credential_process stdout, token file content or authorization token appears in an
// error message, a Redacted() string or a log line (captured at trace level).
#include <gtest/gtest.h>

#include "aws/credentials_cache.h"
#include "aws/credentials_chain.h"
#include "aws/credentials_env.h"
#include "aws/credentials_http.h"
#include "aws/credentials_ini.h"
#include "aws/credentials_process.h"
#include "aws/credentials_sts.h"
#include "aws/credentials_testing.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;
using testing::FakeSts;
using testing::HttplibTransport;
using testing::LocalServer;
using testing::LogCapture;
using testing::WriteFile;
using testing::WriteScript;

// Every secret in this test contains one of these markers.
const std::vector<std::string> kMarkers = {"SECRETKEYMARK", "SESSIONTOKENMARK", "STDOUTMARK", "TOKENFILEMARK",
                                           "AUTHTOKENMARK", "IMDSTOKENMARK",    "BODYMARK"};

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_["HOME"] = dir_.path().string();
    sts_.expiration = clock_.Now() + 1h;
    auto& s = server_.server();
    s.Put("/latest/api/token", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("IMDSTOKENMARK-abc", "text/plain");
    });
    s.Get("/latest/meta-data/iam/security-credentials/",
          [](const httplib::Request&, httplib::Response& res) { res.set_content("role", "text/plain"); });
    s.Get("/latest/meta-data/iam/security-credentials/role",
          [this](const httplib::Request&, httplib::Response& res) {
            std::lock_guard<std::mutex> lock(mu_);
            res.status = http_status_;
            res.set_content(http_body_, "application/json");
          });
    s.Get("/container", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      res.status = http_status_;
      res.set_content(http_body_, "application/json");
    });
    server_.Start();
  }

  void Serve(int status, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    http_status_ = status;
    http_body_ = std::move(body);
  }

  // Records an outcome: the error text, or the credentials' Redacted() (checking they carry secrets).
  void Observe(const std::string& what, const Result<Credentials>& r, bool expect_ok) {
    ++observed_;
    if (r.ok()) {
      EXPECT_TRUE(expect_ok) << what << ": unexpectedly succeeded";
      texts_.push_back({what, r->Redacted()});
    } else {
      EXPECT_FALSE(expect_ok) << what << ": " << r.error().message;
      texts_.push_back({what, r.error().ToString()});
      texts_.push_back({what, r.error().aws_code + r.error().request_id});
    }
  }

  Result<Credentials> Chain(CredentialsChainOptions options = {}) {
    CredentialsContext ctx;
    ctx.env = MapEnv(env_);
    ctx.http = &http_;
    ctx.sts = &sts_;
    ctx.clock = &clock_;
    ctx.imds.timeout = 200ms;
    DefaultCredentialsChain chain(options, ctx);
    return chain.GetCredentials();
  }

  void TearDown() override {
    texts_.push_back({"logs", logs_.text()});
    for (const auto& [what, text] : texts_) {
      for (const auto& marker : kMarkers) {
        EXPECT_EQ(text.find(marker), std::string::npos) << what << " leaked " << marker << ": " << text;
      }
    }
  }

  LogCapture logs_;
  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  FakeSts sts_;
  HttplibTransport http_;
  LocalServer server_;
  std::map<std::string, std::string> env_;
  std::vector<std::pair<std::string, std::string>> texts_;
  int observed_ = 0;
  std::mutex mu_;
  int http_status_ = 200;
  std::string http_body_;
};

constexpr char kGoodJson[] =
    R"({"Code":"Success","AccessKeyId":"ASIAGOODEXAMPLE","SecretAccessKey":"SECRETKEYMARK-1",)"
    R"("Token":"SESSIONTOKENMARK-1","Expiration":"2015-08-30T18:00:00Z"})";

TEST_F(SecretsTest, ExplicitAndEnvironment) {
  CredentialsChainOptions o;
  o.access_key_id = "AKIDEXPLICITEXAMPLE";
  o.secret_access_key = "SECRETKEYMARK-explicit";
  o.session_token = "SESSIONTOKENMARK-explicit";
  Observe("explicit", Chain(o), true);
  o.access_key_id.clear();
  Observe("explicit partial", Chain(o), false);

  env_["AWS_SECRET_ACCESS_KEY"] = "SECRETKEYMARK-env";
  env_["AWS_SESSION_TOKEN"] = "SESSIONTOKENMARK-env";
  Observe("env partial", Chain(), false);
  env_["AWS_ACCESS_KEY_ID"] = "AKIDENVEXAMPLE";
  Observe("env", Chain(), true);
  env_["AWS_CREDENTIAL_EXPIRATION"] = "SECRETKEYMARK-not-a-date";
  Observe("env bad expiration", Chain(), false);
}

TEST_F(SecretsTest, ProfilesAndSharedFiles) {
  WriteFile(dir_.path() / ".aws" / "credentials",
            "[good]\naws_access_key_id = AKIDPROFILEEXAMPLE\naws_secret_access_key = SECRETKEYMARK-p\n"
            "aws_session_token = SESSIONTOKENMARK-p\n"
            "[half]\naws_secret_access_key = SECRETKEYMARK-half\n");
  CredentialsChainOptions o;
  o.profile = "good";
  Observe("profile", Chain(o), true);
  o.profile = "half";
  Observe("profile partial", Chain(o), false);
  o.profile = "absent";
  Observe("profile missing", Chain(o), false);
  WriteFile(dir_.path() / ".aws" / "config", "[default]\naws_secret_access_key SECRETKEYMARK-malformed\n");
  Observe("malformed config", Chain(), false);
  WriteFile(dir_.path() / ".aws" / "config", "aws_secret_access_key = SECRETKEYMARK-nosection\n");
  Observe("key before section", Chain(), false);
  WriteFile(dir_.path() / ".aws" / "config", "[default]\ns3 =\n  SECRETKEYMARK-nested\n");
  Observe("bad nested", Chain(), false);
}

TEST_F(SecretsTest, AssumeRoleAllPaths) {
  WriteFile(dir_.path() / ".aws" / "credentials",
            "[base]\naws_access_key_id = AKIDBASEEXAMPLE\naws_secret_access_key = SECRETKEYMARK-base\n"
            "aws_session_token = SESSIONTOKENMARK-base\n");
  WriteFile(dir_.path() / ".aws" / "config",
            "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\nexternal_id = e\n"
            "[profile cycle]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = cycle2\n"
            "[profile cycle2]\nrole_arn = arn:aws:iam::1:role/c2\nsource_profile = cycle\n"
            "[profile mfa]\nrole_arn = arn:aws:iam::1:role/m\nsource_profile = base\nmfa_serial = x\n");
  CredentialsChainOptions o;
  o.profile = "role";
  sts_.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    return Credentials{"ASIAROLEEXAMPLE", "SECRETKEYMARK-role", "SESSIONTOKENMARK-role", std::nullopt, ""};
  };
  Observe("role", Chain(o), true);
  for (auto category : {ErrorCategory::kPermission, ErrorCategory::kConnectivity, ErrorCategory::kAws}) {
    sts_.handler = [category](const FakeSts::Call&) -> Result<Credentials> {
      Error e{category, "denied"};
      e.aws_code = "AccessDenied";
      e.request_id = "req-1";
      return e;
    };
    Observe("role denied", Chain(o), false);
  }
  o.profile = "cycle";
  Observe("cycle", Chain(o), false);
  o.profile = "mfa";
  Observe("mfa", Chain(o), false);

  // Refresh failure while valid (logged) and after expiry (returned).
  sts_.handler = nullptr;
  auto base = std::make_shared<StaticCredentialsProvider>(
      Credentials{"AKIDBASEEXAMPLE", "SECRETKEYMARK-b", "SESSIONTOKENMARK-b", std::nullopt, "base"});
  AssumeRoleProvider p({"arn:aws:iam::1:role/lz", "ext", "s", 3600, "us-east-1"}, base, sts_, clock_);
  Observe("lz role", p.GetCredentials(), true);
  sts_.handler = [](const FakeSts::Call&) -> Result<Credentials> { return Error::Auth("ExpiredToken"); };
  clock_.Advance(56min);
  Observe("lz role refresh failed, still valid", p.GetCredentials(), true);
  clock_.Advance(10min);
  Observe("lz role expired", p.GetCredentials(), false);
  EXPECT_NE(logs_.text().find("could not refresh"), std::string::npos);
}

TEST_F(SecretsTest, CredentialProcessAllPaths) {
  auto script = [&](const std::string& name, const std::string& body) {
    return WriteScript(dir_.path() / name, body);
  };
  std::string good = script("good.sh",
                            "echo '{\"Version\":1,\"AccessKeyId\":\"AKIDPROCEXAMPLE\",\"SecretAccessKey\":"
                            "\"STDOUTMARK-SECRETKEYMARK\",\"SessionToken\":\"SESSIONTOKENMARK\"}'\n");
  std::string fails =
      script("fails.sh", "echo '{\"SecretAccessKey\":\"STDOUTMARK\"}'\necho 'helper failed' >&2\nexit 1\n");
  std::string garbage = script("garbage.sh", "echo 'STDOUTMARK garbage {'\n");
  std::string partial = script("partial.sh", "echo '{\"Version\":1,\"SecretAccessKey\":\"STDOUTMARK\"}'\n");
  std::string badjson =
      script("badjson.sh", "echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":STDOUTMARK}'\n");
  std::string badexp = script("badexp.sh",
                              "echo '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"STDOUTMARK\","
                              "\"Expiration\":\"STDOUTMARK\"}'\n");
  WriteFile(dir_.path() / ".aws" / "config",
            "[profile good]\ncredential_process = " + good + "\n[profile fails]\ncredential_process = " +
                fails + "\n[profile garbage]\ncredential_process = " + garbage +
                "\n[profile partial]\ncredential_process = " + partial +
                "\n[profile badjson]\ncredential_process = " + badjson +
                "\n[profile badexp]\ncredential_process = " + badexp +
                "\n[profile unclosed]\ncredential_process = '/bin/echo STDOUTMARK\n"
                "[profile missing]\ncredential_process = /nonexistent/helper\n");
  for (const std::string name :
       {"good", "fails", "garbage", "partial", "badjson", "badexp", "unclosed", "missing"}) {
    CredentialsChainOptions o;
    o.profile = name;
    Observe("process " + name, Chain(o), name == "good");
  }
}

TEST_F(SecretsTest, WebIdentityAllPaths) {
  WriteFile(dir_.path() / "token", "TOKENFILEMARK-jwt");
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir_.path() / "token").string();
  Observe("web identity without role", Chain(), false);
  env_["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/eks";
  sts_.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    return Credentials{"ASIAWEBEXAMPLE", "SECRETKEYMARK-web", "SESSIONTOKENMARK-web", std::nullopt, ""};
  };
  Observe("web identity", Chain(), true);
  sts_.handler = [](const FakeSts::Call&) -> Result<Credentials> {
    Error e{ErrorCategory::kAws, "InvalidIdentityToken"};
    e.aws_code = "InvalidIdentityToken";
    return e;
  };
  Observe("web identity denied", Chain(), false);
  env_["AWS_WEB_IDENTITY_TOKEN_FILE"] = (dir_.path() / "absent").string();
  Observe("web identity missing file", Chain(), false);
}

TEST_F(SecretsTest, ContainerAllPaths) {
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = server_.Url() + "/container";
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "AUTHTOKENMARK";
  Serve(200, kGoodJson);
  Observe("container", Chain(), true);
  Serve(403, R"({"Message":"BODYMARK denied for AUTHTOKENMARK"})");
  Observe("container 403", Chain(), false);
  Serve(200, "BODYMARK SECRETKEYMARK not json");
  Observe("container garbage", Chain(), false);
  Serve(200, R"({"AccessKeyId":"A","Token":"SESSIONTOKENMARK"})");
  Observe("container partial", Chain(), false);
  Serve(200, R"({"AccessKeyId":"A","SecretAccessKey":"SECRETKEYMARK","Expiration":"BODYMARK"})");
  Observe("container bad expiration", Chain(), false);
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "AUTHTOKENMARK\r\nX: y";
  Observe("container bad token", Chain(), false);
  WriteFile(dir_.path() / "auth", "TOKENFILEMARK\nsecond line");
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (dir_.path() / "auth").string();
  Observe("container bad token file", Chain(), false);
  env_["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (dir_.path() / "absent").string();
  Observe("container missing token file", Chain(), false);
  env_.erase("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:1/x?AUTHTOKENMARK";
  Observe("container unreachable", Chain(), false);
  env_["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://evil.example/x?AUTHTOKENMARK";
  Observe("container bad host", Chain(), false);
}

TEST_F(SecretsTest, InstanceMetadataAllPaths) {
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = server_.Url();
  Serve(200, kGoodJson);
  Observe("imds", Chain(), true);
  Serve(
      200,
      R"({"Code":"Failure","AccessKeyId":"A","SecretAccessKey":"SECRETKEYMARK","Token":"SESSIONTOKENMARK"})");
  Observe("imds failure code", Chain(), false);
  Serve(500, "BODYMARK SECRETKEYMARK");
  Observe("imds 500", Chain(), false);
  Serve(200, "BODYMARK {");
  Observe("imds garbage", Chain(), false);
  // Credentials that are already expired (the machine's clock is off).
  clock_.Advance(24h);
  Serve(200, kGoodJson);
  Observe("imds expired", Chain(), false);
}

TEST_F(SecretsTest, NothingFound) {
  env_["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:1";
  Observe("nothing", Chain(), false);
}

TEST(RedactedTest, ShowsOnlyTheKeyIdEnds) {
  Credentials c{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "SESSIONTOKEN",
                std::nullopt, "env"};
  EXPECT_EQ(c.Redacted(), "AKIA****MPLE from env");
}

}  // namespace
}  // namespace fleetpatch::aws
