// Webhooks against a real local HTTPS server (testing/https_receiver.h) whose certificate is a CA
// made for the test: the client trusts it only through the CA bundle, as with AWS_CA_BUNDLE.
#include "notify/webhook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "aws/curl_transport.h"
#include "common/crypto.h"
#include "common/encoding.h"
#include "notify/notifier.h"
#include "testing/fake_clock.h"
#include "testing/https_receiver.h"
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

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(Global().ok());
    ca_ = dir_.path() / "ca.pem";
    receiver_ = std::make_unique<fleetpatch::testing::HttpsReceiver>(kPathToken, ca_);
    ASSERT_TRUE(receiver_->valid());
    aws::CurlTransportOptions o;
    o.ca_bundle = ca_.string();
    transport_ = std::make_unique<aws::CurlTransport>(o);
  }

  std::unique_ptr<WebhookChannel> Channel(std::string secret = kSecret) {
    return std::make_unique<WebhookChannel>(WebhookOptions{receiver_->Url(), std::move(secret), {}},
                                            *transport_, clock_);
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
  std::unique_ptr<fleetpatch::testing::HttpsReceiver> receiver_;
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
  EXPECT_EQ(req.Header("Content-Type"), "application/json");
  EXPECT_EQ(req.Header("X-Fleetpatch-Event"), "run_finished");
  auto body = nlohmann::json::parse(req.body);
  EXPECT_EQ(body["text"].get<std::string>().rfind(
                "fleetpatch: run 20261204-030000-beef completed_with_failures", 0),
            0u)
      << body["text"];
  EXPECT_NE(body["text"].get<std::string>().find("patch 25 ok, 3 failed"), std::string::npos);
  EXPECT_EQ(body["summary"]["phases"]["patch"]["failed"], 3);
  EXPECT_EQ(body["summary"]["exit_code"], 1);
  // The receiver's check: HMAC-SHA256(secret, timestamp + "." + body), computed here independently.
  const std::string ts = req.Header("X-Fleetpatch-Timestamp");
  ASSERT_FALSE(ts.empty());
  EXPECT_EQ(req.Header("X-Fleetpatch-Signature"),
            "sha256=" + HexEncode(HmacSha256(kSecret, ts + "." + req.body)));
  EXPECT_EQ(req.body.find(kSecret), std::string::npos);
}

TEST_F(WebhookTest, WithoutASecretNothingIsSigned) {
  ASSERT_TRUE(Channel("")->Send(FromEvent(Finished())).ok());
  auto reqs = receiver_->Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(reqs[0].HasHeader("X-Fleetpatch-Signature"));
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
