#include "workflow/rate_limiter.h"

#include <gtest/gtest.h>

#include "aws/credentials_env.h"
#include "aws/protocol/embedded_models.h"
#include "aws/service_client.h"
#include "testing/fake_clock.h"
#include "testing/fake_transport.h"

namespace fleetpatch::workflow {
namespace {

using namespace std::chrono_literals;

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

TEST(AdaptiveBucketTest, ThrottleEmptiesTheBucketCutsTheRateAndItRecovers) {
  testing::FakeClock clock;
  TokenBucket bucket({10, 10}, clock);
  EXPECT_DOUBLE_EQ(bucket.rate(), 10);
  EXPECT_DOUBLE_EQ(bucket.capacity(), 10);

  bucket.OnThrottle();
  EXPECT_DOUBLE_EQ(bucket.rate(), 5);
  EXPECT_DOUBLE_EQ(bucket.capacity(), 5);             // no burst while slowed down
  EXPECT_FALSE(bucket.TryAcquire());                  // emptied: the 10 tokens it held are gone
  EXPECT_NEAR(Seconds(bucket.Acquire()), 0.2, 0.01);  // one token at 5 per second

  // Throttles answering requests already in flight (within a second) cut only once.
  clock.Advance(500ms);
  bucket.OnThrottle();
  EXPECT_NEAR(bucket.rate(), 5 + 0.7 * 0.5, 1e-9);  // 0.7 s after the cut, recovering at 0.5/s
  // A throttle after the window cuts again, and the rate never falls below 10% of the spec.
  for (int i = 0; i < 10; ++i) {
    clock.Advance(1100ms);
    bucket.OnThrottle();
  }
  EXPECT_DOUBLE_EQ(bucket.rate(), 1);
  EXPECT_DOUBLE_EQ(bucket.capacity(), 2);

  // The rate climbs back linearly (5% of the spec per second): from 1 to 10 in 18 s.
  clock.Advance(9s);
  EXPECT_NEAR(bucket.rate(), 5.5, 1e-9);
  clock.Advance(9s);
  EXPECT_DOUBLE_EQ(bucket.rate(), 10);
  EXPECT_DOUBLE_EQ(bucket.capacity(), 10);
  clock.Advance(10s);
  int taken = 0;
  while (bucket.TryAcquire()) ++taken;
  EXPECT_EQ(taken, 10);  // the full burst is back
}

TEST(TokenBucketTest, PeekSaysWhatCouldGoNowAndTakesNothing) {
  testing::FakeClock clock;
  TokenBucket bucket({3, 2}, clock);
  EXPECT_EQ(bucket.Peek().now, 3u);
  EXPECT_EQ(bucket.Peek().now, 3u);  // peeking takes nothing
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bucket.TryAcquire());
  CallRoom empty = bucket.Peek();
  EXPECT_EQ(empty.now, 0u);
  EXPECT_NEAR(Seconds(empty.next_in), 0.5, 1e-6);  // one token at 2 a second
  clock.Advance(250ms);
  EXPECT_NEAR(Seconds(bucket.Peek().next_in), 0.25, 1e-6);
  clock.Advance(1s);
  EXPECT_EQ(bucket.Peek().now, 2u);  // 2.5 tokens: 2 whole calls
  EXPECT_EQ(bucket.Peek().next_in, std::chrono::nanoseconds(0));
}

TEST(AdaptiveBucketTest, PollsStillYieldToMutatingCallsWhileSlowedDown) {
  testing::FakeClock clock;
  TokenBucket bucket({10, 10}, clock);
  bucket.OnThrottle();   // rate 5, burst 5: a poll needs 1 + 20% of 5 tokens
  clock.Advance(250ms);  // about 1.27 tokens
  EXPECT_FALSE(bucket.TryAcquire(CallPriority::kPoll));
  EXPECT_TRUE(bucket.TryAcquire(CallPriority::kNormal));
  // A poll waits until the reserve is there again, then goes.
  double waited = Seconds(bucket.Acquire(CallPriority::kPoll));
  EXPECT_GT(waited, 0.3);
  EXPECT_LT(waited, 0.45);
}

// An EC2 client whose attempts pass through a RateLimiterGate, over a scripted transport.
class GateTest : public ::testing::Test {
 protected:
  std::unique_ptr<aws::ServiceClient> MakeClient(RateLimiter& limiter) {
    aws::ServiceClientOptions o;
    o.endpoint = "https://ec2.eu-west-1.amazonaws.com";
    o.region = "eu-west-1";
    o.observer = [](const aws::AttemptRecord&) {};
    o.gate = std::make_shared<RateLimiterGate>(limiter, "111111111111", "eu-west-1", "ec2");
    return std::make_unique<aws::ServiceClient>(aws::protocol::Ec2Model(), o, transport_, credentials_,
                                                clock_, [] { return 0.5; });
  }
  static std::string Ec2Error(const std::string& code) {
    return "<Response><Errors><Error><Code>" + code +
           "</Code><Message>m</Message></Error></Errors>"
           "<RequestID>req</RequestID></Response>";
  }
  static constexpr const char* kOk =
      R"(<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">)"
      R"(<requestId>ok</requestId><reservationSet/></DescribeInstancesResponse>)";

  testing::FakeClock clock_;
  testing::FakeTransport transport_;
  aws::StaticCredentialsProvider credentials_{aws::Credentials{"AKIDEXAMPLE", "secret", "", {}, "test"}};
};

TEST_F(GateTest, ARetriedCallTakesATokenPerAttempt) {
  // A bucket that practically never refills: what is left shows how many tokens were taken.
  RateLimiter limiter(clock_, {{"ec2-read", {10, 0.001}}});
  transport_.QueueResponse(500, Ec2Error("InternalError"));
  transport_.QueueResponse(500, Ec2Error("InternalError"));
  transport_.QueueResponse(200, kOk);
  auto client = MakeClient(limiter);
  auto r = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(transport_.request_count(), 3u);
  TokenBucket& bucket = limiter.BucketFor("111111111111", "eu-west-1", "ec2", "DescribeInstances");
  int left = 0;
  while (bucket.TryAcquire()) ++left;
  EXPECT_EQ(left, 10 - 3);
  EXPECT_DOUBLE_EQ(bucket.rate(), 0.001);  // errors that are not throttles do not slow it down
}

TEST_F(GateTest, AThrottledRetryWaitsForTheSlowedDownBucket) {
  RateLimiter limiter(clock_, {{"ec2-read", {2, 2}}});
  transport_.QueueResponse(503, Ec2Error("RequestLimitExceeded"));
  transport_.QueueResponse(200, kOk);
  auto client = MakeClient(limiter);
  auto r = client->Call("DescribeInstances", nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(transport_.request_count(), 2u);
  TokenBucket& bucket = limiter.BucketFor("111111111111", "eu-west-1", "ec2", "DescribeInstances");
  // The throttle emptied the bucket (one token was left) and halved its rate: after the 0.5 s
  // backoff the retry still had to wait for its token at about 1 per second.
  EXPECT_NEAR(Seconds(clock_.TotalSlept()), 1.0, 0.05);
  EXPECT_LT(bucket.rate(), 1.5);
  // Other operations of the same family share the slowed bucket; other families do not.
  EXPECT_EQ(&bucket, &limiter.BucketFor("111111111111", "eu-west-1", "ec2", "DescribeImages"));
  EXPECT_DOUBLE_EQ(limiter.BucketFor("111111111111", "eu-west-1", "ec2", "CreateImage").rate(), 5);
}

TEST_F(GateTest, AThrottlingStormConverges) {
  // The server's bucket refills at 5 per second; the client's is set twice as fast. Without
  // slowing down, about every other request would be throttled for as long as the run lasts.
  struct ServerBucket {
    double tokens = 5;
    std::chrono::steady_clock::time_point last{};
  } server;
  int throttled = 0;
  transport_.SetHandler([&](const aws::HttpRequest&) -> Result<aws::HttpResponse> {
    auto now = clock_.SteadyNow();
    server.tokens =
        std::min(5.0, server.tokens + 5 * std::chrono::duration<double>(now - server.last).count());
    server.last = now;
    aws::HttpResponse r;
    if (server.tokens < 1) {
      ++throttled;
      r.status = 503;
      r.body = Ec2Error("RequestLimitExceeded");
    } else {
      server.tokens -= 1;
      r.status = 200;
      r.body = kOk;
    }
    return r;
  });
  server.last = clock_.SteadyNow();
  RateLimiter limiter(clock_, {{"ec2-read", {10, 10}}});
  auto client = MakeClient(limiter);
  const auto start = clock_.SteadyNow();
  for (int i = 0; i < 300; ++i) {
    auto r = client->Call("DescribeInstances", nlohmann::json::object());
    ASSERT_TRUE(r.ok()) << "call " << i << ": " << r.error().ToString();
  }
  // Every call succeeded, few requests were throttled (about one per recovery cycle of several
  // seconds), and the pace settled near the server's 5 per second.
  EXPECT_LE(throttled, 20);  // 11 here; 118 when a throttle does not cut the rate
  double seconds = std::chrono::duration<double>(clock_.SteadyNow() - start).count();
  EXPECT_GT(300 / seconds, 4.0);
  EXPECT_LT(300 / seconds, 5.5);
}

// One fact in one place: a limiter without a config paces as the config's defaults say.
TEST(RateLimiterDefaults, AreTheConfigsDefaultRateLimits) {
  const config::RateLimits d;
  auto specs = RateLimiter::DefaultSpecs();
  EXPECT_EQ(specs.at("ssm-read").burst, d.ssm_read.burst);
  EXPECT_EQ(specs.at("ssm-read").per_second, d.ssm_read.per_second);
  EXPECT_EQ(specs.at("ssm-mutate").per_second, d.ssm_write.per_second);
  EXPECT_EQ(specs.at("ec2-mutate").burst, d.ec2_mutating.burst);
  EXPECT_EQ(specs.at("sts").per_second, d.sts.per_second);
  EXPECT_EQ(specs.size(), 6u);
}

}  // namespace
}  // namespace fleetpatch::workflow
