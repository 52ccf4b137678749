#include "aws/credentials_http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <set>

#include "aws/credentials_testing.h"
#include "aws/curl_transport.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::aws {
namespace {

using testing::HttplibTransport;
using testing::LocalServer;
using testing::WriteFile;

constexpr char kCredsJson[] =
    R"({"Code":"Success","LastUpdated":"2030-01-01T00:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDSEXAMPLE",)"
    R"("SecretAccessKey":"imdsSecretKey","Token":"imdsSessionToken","Expiration":"2030-01-01T06:00:00Z"})";

// An IMDSv2 look-alike: tokens from PUT /latest/api/token, 401 for GETs without a valid token.
class FakeImds {
 public:
  FakeImds() {
    auto& s = server_.server();
    s.Put("/latest/api/token", [this](const httplib::Request& req, httplib::Response& res) {
      if (put_delay.count() > 0) std::this_thread::sleep_for(put_delay);
      std::lock_guard<std::mutex> lock(mu_);
      ++token_puts;
      last_ttl_header = req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds");
      if (token_status != 200) {
        res.status = token_status;
        return;
      }
      std::string token = "imds-token-" + std::to_string(token_puts);
      valid_tokens_.insert(token);
      res.set_content(token, "text/plain");
    });
    s.Get("/latest/meta-data/iam/security-credentials/",
          [this](const httplib::Request& req, httplib::Response& res) {
            if (!Authorized(req, res)) return;
            if (role.empty()) {
              res.status = 404;
              return;
            }
            res.set_content(role + "\n", "text/plain");
          });
    s.Get(R"(/latest/meta-data/iam/security-credentials/([^/]+))",
          [this](const httplib::Request& req, httplib::Response& res) {
            if (!Authorized(req, res)) return;
            if (req.matches[1] != role) {
              res.status = 404;
              return;
            }
            res.set_content(creds_json, "application/json");
          });
    server_.Start();
  }

  std::string Url() const { return server_.Url(); }
  void InvalidateTokens() {
    std::lock_guard<std::mutex> lock(mu_);
    valid_tokens_.clear();
  }
  std::vector<std::string> SeenTokens() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_tokens_;
  }

  // Settings (set before use).
  std::string role = "fleet-role";
  std::string creds_json = kCredsJson;
  int token_status = 200;
  bool require_token = true;
  std::chrono::milliseconds put_delay{0};
  // Observations.
  int token_puts = 0;
  std::string last_ttl_header;

 private:
  bool Authorized(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string token = req.get_header_value("X-aws-ec2-metadata-token");
    seen_tokens_.push_back(token);
    if (require_token && valid_tokens_.count(token) == 0) {
      res.status = 401;
      return false;
    }
    return true;
  }

  std::mutex mu_;
  std::set<std::string> valid_tokens_;
  std::vector<std::string> seen_tokens_;
  LocalServer server_;  // last: stopped first, before the state its handlers use
};

EnvLookup ImdsEnv(const std::string& endpoint, std::map<std::string, std::string> extra = {}) {
  extra["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = endpoint;
  return MapEnv(extra);
}

// A port on 127.0.0.1 where nothing listens.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // bound but never listening: connections are refused at once
  return ntohs(addr.sin_port);
}

TEST(ImdsTest, V2TokenFlowAndTokenReuse) {
  FakeImds imds;
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url() + "/"), http, clock);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAIMDSEXAMPLE");
  EXPECT_EQ(c->secret_access_key, "imdsSecretKey");
  EXPECT_EQ(c->session_token, "imdsSessionToken");
  EXPECT_EQ(FormatIso8601(*c->expiration), "2030-01-01T06:00:00Z");
  EXPECT_EQ(c->source, "instance metadata (role fleet-role)");
  EXPECT_EQ(imds.last_ttl_header, "21600");
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(imds.token_puts, 1);  // the session token is reused within its TTL
  for (const auto& t : imds.SeenTokens()) EXPECT_EQ(t, "imds-token-1");
  EXPECT_EQ(imds.SeenTokens().size(), 4u);
}

TEST(ImdsTest, TokenIsRenewedWhenItsTtlRunsOut) {
  FakeImds imds;
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider::Options options;
  options.token_ttl_s = 120;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock, options);
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(imds.last_ttl_header, "120");
  clock.Advance(std::chrono::seconds(60));
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(imds.token_puts, 1);
  clock.Advance(std::chrono::seconds(60));  // within the safety margin before the TTL ends
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(imds.token_puts, 2);
  EXPECT_EQ(imds.SeenTokens().back(), "imds-token-2");
}

TEST(ImdsTest, Retries401WithANewToken) {
  FakeImds imds;
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock);
  ASSERT_TRUE(p.GetCredentials().ok());
  imds.InvalidateTokens();  // e.g. the instance was stopped and started
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(imds.token_puts, 2);
  EXPECT_EQ(imds.SeenTokens().back(), "imds-token-2");
}

TEST(ImdsTest, FallsBackToV1WhenTokensAreNotSupported) {
  for (int status : {403, 404, 405}) {
    FakeImds imds;
    imds.token_status = status;
    imds.require_token = false;
    HttplibTransport http;
    fleetpatch::testing::FakeClock clock;
    ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock);
    auto c = p.GetCredentials();
    ASSERT_TRUE(c.ok()) << status << ": " << c.error().message;
    for (const auto& t : imds.SeenTokens()) EXPECT_EQ(t, "");

    ImdsCredentialsProvider v1_disabled(ImdsEnv(imds.Url(), {{"AWS_EC2_METADATA_V1_DISABLED", "true"}}), http,
                                        clock);
    auto e = v1_disabled.GetCredentials();
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.error().message.find("AWS_EC2_METADATA_V1_DISABLED"), std::string::npos);
  }
}

TEST(ImdsTest, NoRoleAttachedIsNotAvailable) {
  FakeImds imds;
  imds.role = "";
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock);
  std::string reason;
  auto r = p.TryGetCredentials(&reason);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_NE(reason.find("no IAM instance profile"), std::string::npos);
  auto e = p.GetCredentials();
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().category, ErrorCategory::kAuth);
}

TEST(ImdsTest, FailureCodeIsAnError) {
  FakeImds imds;
  imds.creds_json = R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"x"})";
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock);
  auto r = p.TryGetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("AssumeRoleUnauthorizedAccess"), std::string::npos);
}

TEST(ImdsTest, DisabledByEnvironmentSendsNothing) {
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(MapEnv({{"AWS_EC2_METADATA_DISABLED", "True"}}), http, clock);
  auto r = p.TryGetCredentials();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(http.sends, 0);
}

TEST(ImdsTest, UnreachableIsNotAvailableAfterOneRetry) {
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv("http://127.0.0.1:" + std::to_string(ClosedPort())), http, clock);
  std::string reason;
  auto r = p.TryGetCredentials(&reason);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(http.sends, 2);
  EXPECT_NE(reason.find("no instance metadata service"), std::string::npos);
}

TEST(ImdsTest, SlowServiceTimesOutQuickly) {
  FakeImds imds;
  imds.put_delay = std::chrono::milliseconds(400);
  HttplibTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider::Options options;
  options.timeout = std::chrono::milliseconds(100);
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock, options);
  // No wall-clock bound: the service would answer after 400 ms, so finding no credentials after two
  // sends is the event that proves the 100 ms timeout cut both.
  auto r = p.TryGetCredentials();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(http.sends, 2);
}

TEST(ImdsTest, DefaultEndpointsAndShortTimeouts) {
  // Records the request instead of sending it.
  struct Recorder final : HttpTransport {
    Result<HttpResponse> Send(const HttpRequest& r, const HttpOptions& o) override {
      urls.push_back(r.url);
      timeouts.push_back(o.total_timeout);
      return Error::Connectivity("unreachable");
    }
    std::vector<std::string> urls;
    std::vector<std::chrono::milliseconds> timeouts;
  };
  fleetpatch::testing::FakeClock clock;
  Recorder v4;
  ASSERT_TRUE(ImdsCredentialsProvider(MapEnv({}), v4, clock).TryGetCredentials().ok());
  ASSERT_EQ(v4.urls.size(), 2u);
  EXPECT_EQ(v4.urls[0], "http://169.254.169.254/latest/api/token");
  EXPECT_EQ(v4.timeouts[0], std::chrono::milliseconds(1000));
  Recorder v6;
  ASSERT_TRUE(ImdsCredentialsProvider(MapEnv({{"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6"}}), v6, clock)
                  .TryGetCredentials()
                  .ok());
  EXPECT_EQ(v6.urls.at(0), "http://[fd00:ec2::254]/latest/api/token");
}

// ---- container ----

class FakeContainerEndpoint {
 public:
  FakeContainerEndpoint() {
    server_.server().Get("/v2/credentials/abc", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      auth_headers_.push_back(req.get_header_value("Authorization"));
      if (status != 200) {
        res.status = status;
        res.set_content("{\"Message\":\"BODYSECRET\"}", "application/json");
        return;
      }
      res.set_content(
          R"({"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"containerSecret","Token":"containerToken",)"
          R"("Expiration":"2030-01-01T01:00:00Z","RoleArn":"arn:aws:iam::123456789012:role/task"})",
          "application/json");
    });
    server_.Start();
  }
  std::string Url() const { return server_.Url() + "/v2/credentials/abc"; }
  std::vector<std::string> AuthHeaders() {
    std::lock_guard<std::mutex> lock(mu_);
    return auth_headers_;
  }
  int status = 200;

 private:
  std::mutex mu_;
  std::vector<std::string> auth_headers_;
  LocalServer server_;
};

TEST(ContainerTest, FullUriOnLoopbackWithAuthorizationToken) {
  FakeContainerEndpoint endpoint;
  HttplibTransport http;
  ContainerCredentialsProvider p(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Url()},
                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc"}}),
                                 http);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(c->secret_access_key, "containerSecret");
  EXPECT_EQ(c->session_token, "containerToken");
  EXPECT_EQ(FormatIso8601(*c->expiration), "2030-01-01T01:00:00Z");
  EXPECT_EQ(endpoint.AuthHeaders(), std::vector<std::string>{"Basic abc"});
}

TEST(ContainerTest, TokenFileWinsAndIsReadOnEveryCall) {
  FakeContainerEndpoint endpoint;
  HttplibTransport http;
  fleetpatch::testing::TempDir dir;
  auto token_file = dir.path() / "token";
  WriteFile(token_file, "token-from-file-1\n");
  ContainerCredentialsProvider p(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Url()},
                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"},
                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token_file.string()}}),
                                 http);
  ASSERT_TRUE(p.GetCredentials().ok());
  WriteFile(token_file, "token-from-file-2");  // the platform rotates it
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(endpoint.AuthHeaders(), (std::vector<std::string>{"token-from-file-1", "token-from-file-2"}));

  std::filesystem::remove(token_file);
  auto missing = p.GetCredentials();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), std::string::npos);
}

TEST(ContainerTest, TokenWithLineBreakIsRejected) {
  HttplibTransport http;
  ContainerCredentialsProvider p(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/x"},
                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1"}}),
                                 http);
  auto r = p.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("X-Evil"), std::string::npos);
  EXPECT_EQ(http.sends, 0);
}

TEST(ContainerTest, UrlResolutionAndAllowedHosts) {
  auto url = [](std::map<std::string, std::string> env) {
    return ContainerCredentialsProvider::ResolveUrl(MapEnv(env));
  };
  EXPECT_EQ(*url({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"}}),
            "http://169.254.170.2/v2/credentials/x");
  // The relative URI wins over the full one.
  EXPECT_EQ(*url({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/r"},
                  {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost/f"}}),
            "http://169.254.170.2/r");
  for (std::string ok :
       {"http://127.0.0.1:8080/x", "http://127.1.2.3/x", "http://localhost/x", "http://[::1]:80/x",
        "http://169.254.170.2/x", "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/x",
        "https://creds.example.com/x", "HTTPS://example.com"}) {
    EXPECT_TRUE(url({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ok}}).ok()) << ok;
  }
  for (std::string bad :
       {"http://example.com/x", "http://169.254.169.254/x", "http://10.0.0.1/x", "ftp://127.0.0.1/x",
        "http://[fd00:ec2::24]/x", "http://127.0.0.1.evil.com/x", "not a url"}) {
    auto r = url({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", bad}});
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
    }
  }
}

TEST(ContainerTest, HttpErrorsNameTheStatusNotTheBody) {
  FakeContainerEndpoint endpoint;
  endpoint.status = 403;
  HttplibTransport http;
  ContainerCredentialsProvider p(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Url()}}), http);
  auto r = p.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_NE(r.error().message.find("HTTP 403"), std::string::npos);
  EXPECT_EQ(r.error().message.find("BODYSECRET"), std::string::npos);
}

TEST(ContainerTest, UnreachableIsAnErrorAfterRetry) {
  HttplibTransport http;
  ContainerCredentialsProvider p(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                          "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x?q=1"}}),
                                 http);
  auto r = p.GetCredentials();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(http.sends, 2);
  EXPECT_EQ(r.error().message.find("q=1"), std::string::npos);
}

// ---- the same flows over the real libcurl transport ----

CurlGlobal& Curl() {
  static CurlGlobal global;  // tests only; main() owns the real one
  return global;
}

TEST(CredentialsOverCurlTest, ImdsTokenFlowAnd401Retry) {
  ASSERT_TRUE(Curl().ok());
  FakeImds imds;
  CurlTransport http;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAIMDSEXAMPLE");
  EXPECT_EQ(imds.last_ttl_header, "21600");
  imds.InvalidateTokens();
  ASSERT_TRUE(p.GetCredentials().ok());
  EXPECT_EQ(imds.token_puts, 2);
}

TEST(CredentialsOverCurlTest, ContainerWithAuthorizationAndUnreachableImds) {
  ASSERT_TRUE(Curl().ok());
  FakeContainerEndpoint endpoint;
  CurlTransport http;
  ContainerCredentialsProvider p(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Url()},
                                         {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer xyz"}}),
                                 http);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIACONTAINER");
  EXPECT_EQ(endpoint.AuthHeaders(), std::vector<std::string>{"Bearer xyz"});

  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider imds(ImdsEnv("http://127.0.0.1:" + std::to_string(ClosedPort())), http, clock);
  auto r = imds.TryGetCredentials();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST(CredentialsOverCurlTest, CredentialEndpointsNeverGoThroughTheProxy) {
  ASSERT_TRUE(Curl().ok());
  std::atomic<int> proxied{0};
  LocalServer proxy;  // would see the metadata token and the credentials in clear text
  proxy.server().set_error_handler([&](const httplib::Request&, httplib::Response& res) {
    ++proxied;
    res.status = 502;
  });
  proxy.Start();
  CurlTransportOptions opts;
  opts.http_proxy = proxy.Url();
  opts.https_proxy = proxy.Url();
  CurlTransport http(opts);

  FakeImds imds;
  fleetpatch::testing::FakeClock clock;
  ImdsCredentialsProvider p(ImdsEnv(imds.Url()), http, clock);
  auto c = p.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAIMDSEXAMPLE");

  FakeContainerEndpoint endpoint;
  ContainerCredentialsProvider container(MapEnv({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.Url()}}),
                                         http);
  auto cc = container.GetCredentials();
  ASSERT_TRUE(cc.ok()) << cc.error().message;
  EXPECT_EQ(proxied.load(), 0);
}

}  // namespace
}  // namespace fleetpatch::aws
