// Webhooks against a real local HTTPS server (httplib with OpenSSL) whose certificate is signed by
// a CA made for the test: the client trusts it only through the CA bundle, as with AWS_CA_BUNDLE.
#include "notify/webhook.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/curl_transport.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "notify/notifier.h"
#include "testing/fake_clock.h"
#include "testing/test_tls.h"
#include "testing/testdata.h"

namespace fleetpatch::notify {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec-9f8e7d6c5b4a-do-not-print";
constexpr const char* kPathToken = "/services/T000/B000/XXXXSECRETPATH";

aws::CurlGlobal& Global() {
  static aws::CurlGlobal global;
  return global;
}

// A local HTTPS receiver that answers with the queued statuses (then 200) and records requests.
class Receiver {
 public:
  Receiver(X509* cert, EVP_PKEY* key) : server_(cert, key) {
    server_.Post(kPathToken, [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
      int status = 200;
      if (!statuses_.empty()) {
        status = statuses_.front();
        statuses_.pop_front();
      }
      res.status = status;
      res.set_content(status == 200 ? "ok" : "echo " + req.body, "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  bool valid() { return server_.is_valid() && port_ > 0; }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_) + kPathToken; }
  void Queue(std::initializer_list<int> statuses) {
    std::lock_guard lock(mu_);
    statuses_.insert(statuses_.end(), statuses);
  }
  std::vector<httplib::Request> Requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::deque<int> statuses_;
  std::vector<httplib::Request> requests_;
};

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Global().ok());
    auto [cert, key] = fleetpatch::testing::MakeSelfSigned("IP:127.0.0.1,DNS:localhost");
    ASSERT_TRUE(cert && key);
    ca_ = dir_.path() / "ca.pem";
    ASSERT_TRUE(fleetpatch::testing::WriteCertPem(cert.get(), ca_));
    receiver_ = std::make_unique<Receiver>(cert.get(), key.get());
    ASSERT_TRUE(receiver_->valid());
    aws::CurlTransportOptions o;
    o.ca_bundle = ca_.string();
    transport_ = std::make_unique<aws::CurlTransport>(o);
  }

  std::unique_ptr<WebhookChannel> Channel(std::string secret = kSecret) {
    return std::make_unique<WebhookChannel>(WebhookOptions{receiver_->Url(), std::move(secret), {}}, *transport_,
                                            clock_);
  }

  static RunFinished Finished() {
    RunFinished f;
    f.run_id = "20261204-030000-beef";
    f.status = RunStatus::kCompletedWithFailures;
    f.exit_code = 1;
    f.instances = 30;
    f.eligible = 28;
    f.phases = {{Phase::kPatch, {25, 3, 0, 0, 0}}};
    f.error = "";
    return f;
  }

  fleetpatch::testing::TempDir dir_;
  std::filesystem::path ca_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<aws::CurlTransport> transport_;
  fleetpatch::testing::FakeClock clock_;
};

TEST_F(WebhookTest, PostsTheTextAndSummaryWithAVerifiableSignature) {
  Notifier notifier(clock_);
  notifier.AddChannel(Channel());
  notifier.OnRunFinished(Finished());
  EXPECT_TRUE(notifier.Failures().empty());
  auto reqs = receiver_->Requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& req = reqs[0];
  EXPECT_EQ(req.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(req.get_header_value("X-Fleetpatch-Event"), "run_finished");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["text"].get<std::string>().rfind("fleetpatch: run 20261204-030000-beef completed_with_failures", 0),
            0u)
      << body["text"];
  EXPECT_NE(body["text"].get<std::string>().find("patch 25 ok, 3 failed"), std::string::npos);
  EXPECT_EQ(body["summary"]["phases"]["patch"]["failed"], 3);
  EXPECT_EQ(body["summary"]["exit_code"], 1);
  // The receiver's check: HMAC-SHA256(secret, timestamp + "." + body), computed here independently.
  const std::string ts = req.get_header_value("X-Fleetpatch-Timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_EQ(req.get_header_value("X-Fleetpatch-Signature"), "sha256=" + HexEncode(HmacSha256(kSecret, ts + "." + req.body)));
  EXPECT_EQ(req.body.find(kSecret), std::string::npos);
}

TEST_F(WebhookTest, WithoutASecretNothingIsSigned) {
  ASSERT_TRUE(Channel("")->Send(FromEvent(Finished())).ok());
  auto reqs = receiver_->Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].has_header("X-Fleetpatch-Signature"));
}

TEST_F(WebhookTest, RetriesServerErrorsWithBackoffThenDelivers) {
  receiver_->Queue({503, 500});
  Notifier notifier(clock_, RetryOptions{3, 2s, 30s});
  notifier.AddChannel(Channel());
  const auto before = clock_.SteadyNow();
  notifier.OnRunFinished(Finished());
  EXPECT_TRUE(notifier.Failures().empty());
  EXPECT_EQ(receiver_->Requests().size(), 3u);
  EXPECT_EQ(clock_.SteadyNow() - before, 6s);  // 2 s, then 4 s
}

TEST_F(WebhookTest, AFailingWebhookIsReportedWithoutSecretsAndDoesNotThrow) {
  receiver_->Queue({500, 500, 500});
  Notifier notifier(clock_, RetryOptions{3, 1s, 30s});
  notifier.AddChannel(Channel());
  notifier.OnRunFinished(Finished());
  auto failures = notifier.Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("HTTP 500"), std::string::npos) << failures[0];
  EXPECT_NE(failures[0].find("3 attempts"), std::string::npos) << failures[0];
  EXPECT_NE(failures[0].find("webhook https://127.0.0.1:"), std::string::npos) << failures[0];
  EXPECT_EQ(failures[0].find(kSecret), std::string::npos);
  EXPECT_EQ(failures[0].find("SECRETPATH"), std::string::npos) << failures[0];
  EXPECT_EQ(failures[0].find("echo"), std::string::npos) << "the response body is not quoted";
}

TEST_F(WebhookTest, ClientErrorsAreNotRetried) {
  receiver_->Queue({404});
  Notifier notifier(clock_);
  notifier.AddChannel(Channel());
  notifier.OnRunFinished(Finished());
  EXPECT_EQ(receiver_->Requests().size(), 1u);
  ASSERT_EQ(notifier.Failures().size(), 1u);
  EXPECT_NE(notifier.Failures()[0].find("(1 attempt)"), std::string::npos) << notifier.Failures()[0];
}

TEST_F(WebhookTest, AnUntrustedCertificateFailsWithoutLeakingTheUrlPath) {
  aws::CurlTransport untrusting;  // system CA store: the test CA is not in it
  WebhookChannel channel({receiver_->Url(), kSecret, {}}, untrusting, clock_);
  Status s = channel.Send(FromEvent(Finished()));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message.find("SECRETPATH"), std::string::npos) << s.error().message;
  EXPECT_TRUE(receiver_->Requests().empty());
}

TEST(UrlOriginTest, KeepsSchemeHostAndPortOnly) {
  EXPECT_EQ(UrlOrigin("https://hooks.slack.com/services/T/B/X?y=1"), "https://hooks.slack.com");
  EXPECT_EQ(UrlOrigin("https://user:pw@example.com:8443/p"), "https://example.com:8443");
  EXPECT_EQ(UrlOrigin("nonsense"), "(invalid URL)");
}

}  // namespace
}  // namespace fleetpatch::notify
