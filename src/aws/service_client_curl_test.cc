// The whole pipeline over a real socket: ServiceClient + CurlTransport against a local HTTP server
// that checks every request's SigV4 signature the way AWS does.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "aws/curl_transport.h"
#include "aws/protocol/embedded_models.h"
#include "aws/service_client.h"
#include "aws/sigv4.h"
#include "testing/fake_clock.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

class StaticProvider final : public CredentialsProvider {
 public:
  Result<Credentials> GetCredentials() override {
    return Credentials{kAccessKey, kSecret, "", std::nullopt, "test"};
  }
};

const char kGetCallerIdentityOk[] =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>)"
    R"(<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>)"
    R"(</GetCallerIdentityResult><ResponseMetadata><RequestId>sts-req-1</RequestId></ResponseMetadata>)"
    R"(</GetCallerIdentityResponse>)";

class PipelineOverCurlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(global_.ok());
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000);
    server_.set_keep_alive_timeout(2);
    server_.Post("/", [this](const httplib::Request& req, httplib::Response& res) {
      ReceivedRequest received{req.method, req.target, {}, req.body};
      for (const auto& [k, v] : req.headers) received.headers.emplace_back(k, v);
      {
        std::lock_guard lock(mu_);
        ports_.insert(req.remote_port);
      }
      auto verified = VerifyRequest(received, kSecret);
      if (!verified.ok()) {
        ++rejected_;
        res.status = 403;
        res.set_content("<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>" +
                            verified.error().message + "</Message></Error><RequestId>bad</RequestId></ErrorResponse>",
                        "text/xml");
        return;
      }
      if (throttle_next_ > 0) {
        --throttle_next_;
        res.status = 400;
        res.set_header("x-amzn-RequestId", "throttled-req");
        res.set_content("<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
                        "</Message></Error><RequestId>throttled-req</RequestId></ErrorResponse>",
                        "text/xml");
        return;
      }
      res.set_header("x-amzn-RequestId", "sts-req-1");
      res.set_content(kGetCallerIdentityOk, "text/xml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  ServiceClientOptions Options() {
    ServiceClientOptions o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(port_);
    o.region = "us-east-1";
    o.observer = [](const AttemptRecord&) {};
    return o;
  }

  CurlGlobal global_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> rejected_{0};
  std::atomic<int> throttle_next_{0};
  std::mutex mu_;
  std::set<int> ports_;
  fleetpatch::testing::FakeClock clock_;
  StaticProvider provider_;
};

TEST_F(PipelineOverCurlTest, SignedCallsSucceedAndReuseOneConnection) {
  CurlTransport transport;
  ServiceClient client(protocol::StsModel(), Options(), transport, provider_, clock_);
  for (int i = 0; i < 5; ++i) {
    auto result = client.Call("GetCallerIdentity", nlohmann::json::object());
    ASSERT_TRUE(result.ok()) << result.error().ToString();
    EXPECT_EQ((*result)["Account"], "123456789012");
  }
  EXPECT_EQ(rejected_.load(), 0);
  std::lock_guard lock(mu_);
  EXPECT_EQ(ports_.size(), 1u);
}

TEST_F(PipelineOverCurlTest, ThrottlingOverTheWireIsRetried) {
  throttle_next_ = 2;
  CurlTransport transport;
  ServiceClient client(protocol::StsModel(), Options(), transport, provider_, clock_, [] { return 0.25; });
  auto result = client.Call("GetCallerIdentity", nlohmann::json::object());
  ASSERT_TRUE(result.ok()) << result.error().ToString();
  EXPECT_EQ(clock_.TotalSlept(), 250ms + 500ms);
  EXPECT_EQ(rejected_.load(), 0);
}

TEST_F(PipelineOverCurlTest, ConcurrentCallsFromEightThreads) {
  CurlTransport transport;
  ServiceClient client(protocol::StsModel(), Options(), transport, provider_, clock_);
  // Warm up one connection first: httplib's listen backlog of 5 would drop a burst of eight SYNs.
  ASSERT_TRUE(client.Call("GetCallerIdentity", nlohmann::json::object()).ok());
  std::atomic<int> ok{0};
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      while (started.load() < t) std::this_thread::yield();
      for (int i = 0; i < 10; ++i) {
        if (client.Call("GetCallerIdentity", nlohmann::json::object()).ok()) ++ok;
        if (i == 0) ++started;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(rejected_.load(), 0);
}

TEST_F(PipelineOverCurlTest, WrongSecretIsAnAuthErrorThatIsNotRetried) {
  class WrongProvider final : public CredentialsProvider {
   public:
    Result<Credentials> GetCredentials() override {
      return Credentials{kAccessKey, "not-the-secret", "", std::nullopt, "test"};
    }
  } wrong;
  CurlTransport transport;
  ServiceClient client(protocol::StsModel(), Options(), transport, wrong, clock_);
  auto result = client.Call("GetCallerIdentity", nlohmann::json::object());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().category, ErrorCategory::kAuth);
  EXPECT_EQ(result.error().aws_code, "SignatureDoesNotMatch");
  EXPECT_EQ(rejected_.load(), 1);
  EXPECT_EQ(result.error().message.find("not-the-secret"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::aws
