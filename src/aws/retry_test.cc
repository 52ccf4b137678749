#include "aws/retry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "testing/fake_clock.h"

namespace fleetpatch::aws {
namespace {

using namespace std::chrono_literals;
using fleetpatch::testing::FakeClock;

RandomSource Fixed(double v) {
  return [v] { return v; };
}

Error Throttled() {
  Error e{ErrorCategory::kThrottled, "throttled"};
  e.retryable = true;
  return e;
}
Error TimedOut() {
  Error e = Error::Timeout("timed out");
  e.retryable = true;
  return e;
}

class RetryTest : public ::testing::Test {
 protected:
  FakeClock clock_;
};

TEST_F(RetryTest, DefaultsFollowTheStandardMode) {
  RetryOptions o;
  EXPECT_EQ(o.max_attempts, 3);
  EXPECT_EQ(o.max_backoff, 20s);
  EXPECT_EQ(o.quota_capacity, 500);
  EXPECT_EQ(o.retry_cost, 5);
  EXPECT_EQ(o.timeout_retry_cost, 10);
  EXPECT_EQ(o.no_retry_increment, 1);
}

TEST_F(RetryTest, RetriesRetryableErrorsUpToMaxAttempts) {
  RetryPolicy policy({}, Fixed(0.5), clock_);
  auto call = policy.BeginCall();
  EXPECT_EQ(call.attempt(), 1);
  auto d1 = policy.OnFailure(call, Throttled(), nullptr);
  EXPECT_TRUE(d1.retry);
  EXPECT_EQ(call.attempt(), 2);
  auto d2 = policy.OnFailure(call, Throttled(), nullptr);
  EXPECT_TRUE(d2.retry);
  EXPECT_EQ(call.attempt(), 3);
  auto d3 = policy.OnFailure(call, Throttled(), nullptr);
  EXPECT_FALSE(d3.retry);
  EXPECT_NE(d3.give_up_reason.find("3 attempts"), std::string::npos) << d3.give_up_reason;
}

TEST_F(RetryTest, NeverRetriesNonRetryableErrors) {
  RetryPolicy policy({}, Fixed(0.5), clock_);
  auto call = policy.BeginCall();
  auto d = policy.OnFailure(call, Error::Auth("bad keys"), nullptr);
  EXPECT_FALSE(d.retry);
  EXPECT_TRUE(d.give_up_reason.empty());
  EXPECT_EQ(policy.quota().available(), 500);  // no tokens spent
}

TEST_F(RetryTest, MaxAttemptsOneMeansNoRetries) {
  RetryOptions o;
  o.max_attempts = 1;
  RetryPolicy policy(o, Fixed(0.5), clock_);
  auto call = policy.BeginCall();
  EXPECT_FALSE(policy.OnFailure(call, Throttled(), nullptr).retry);
}

TEST_F(RetryTest, FullJitterExponentialBackoffCappedAt20s) {
  RetryPolicy half({}, Fixed(0.5), clock_);
  EXPECT_EQ(half.Backoff(0), 500ms);   // 0.5 * 2^0 s
  EXPECT_EQ(half.Backoff(1), 1000ms);  // 0.5 * 2^1 s
  EXPECT_EQ(half.Backoff(2), 2000ms);
  EXPECT_EQ(half.Backoff(5), 16000ms);
  EXPECT_EQ(half.Backoff(6), 20000ms);  // 32 s capped
  EXPECT_EQ(half.Backoff(1000), 20000ms);
  RetryPolicy zero({}, Fixed(0.0), clock_);
  EXPECT_EQ(zero.Backoff(4), 0ms);
  RetryPolicy almost_one({}, Fixed(0.999), clock_);
  EXPECT_EQ(almost_one.Backoff(0), 999ms);
  // The delay a decision carries is the backoff for that retry.
  auto call = half.BeginCall();
  EXPECT_EQ(half.OnFailure(call, Throttled(), nullptr).delay, 500ms);
  EXPECT_EQ(half.OnFailure(call, Throttled(), nullptr).delay, 1000ms);
}

TEST_F(RetryTest, SeededRandomSourceIsDeterministicAndInRange) {
  auto a = MakeRandomSource(42);
  auto b = MakeRandomSource(42);
  for (int i = 0; i < 1000; ++i) {
    double x = a();
    EXPECT_EQ(x, b());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
  }
}

TEST_F(RetryTest, RetryCostsFiveAndTimeoutsOrConnectionErrorsTen) {
  RetryOptions o;
  o.max_attempts = 10;
  RetryPolicy policy(o, Fixed(0.1), clock_);
  auto call = policy.BeginCall();
  ASSERT_TRUE(policy.OnFailure(call, Throttled(), nullptr).retry);
  EXPECT_EQ(policy.quota().available(), 495);
  ASSERT_TRUE(policy.OnFailure(call, TimedOut(), nullptr).retry);
  EXPECT_EQ(policy.quota().available(), 485);
  ASSERT_TRUE(policy.OnFailure(call, Error::Connectivity("reset"), nullptr).retry);
  EXPECT_EQ(policy.quota().available(), 475);
}

TEST_F(RetryTest, SuccessAfterRetryRefundsTheLastRetryCost) {
  RetryPolicy policy({}, Fixed(0.1), clock_);
  auto call = policy.BeginCall();
  ASSERT_TRUE(policy.OnFailure(call, Throttled(), nullptr).retry);
  ASSERT_TRUE(policy.OnFailure(call, TimedOut(), nullptr).retry);
  EXPECT_EQ(policy.quota().available(), 485);
  policy.OnSuccess(call);
  EXPECT_EQ(policy.quota().available(), 495);  // the last retry (10) comes back, not the first
}

TEST_F(RetryTest, FirstTrySuccessRefundsOneUpToCapacity) {
  RetryPolicy policy({}, Fixed(0.1), clock_);
  policy.OnSuccess(policy.BeginCall());
  EXPECT_EQ(policy.quota().available(), 500);  // already full: stays at capacity
  auto call = policy.BeginCall();
  ASSERT_TRUE(policy.OnFailure(call, Throttled(), nullptr).retry);  // 495; this call never succeeds
  for (int i = 0; i < 3; ++i) policy.OnSuccess(policy.BeginCall());
  EXPECT_EQ(policy.quota().available(), 498);
  for (int i = 0; i < 10; ++i) policy.OnSuccess(policy.BeginCall());
  EXPECT_EQ(policy.quota().available(), 500);
}

TEST_F(RetryTest, QuotaRunsOutAndStopsRetries) {
  RetryOptions o;
  o.quota_capacity = 12;
  RetryPolicy policy(o, Fixed(0.1), clock_);
  auto a = policy.BeginCall();
  ASSERT_TRUE(policy.OnFailure(a, Throttled(), nullptr).retry);  // 7 left
  auto b = policy.BeginCall();
  ASSERT_TRUE(policy.OnFailure(b, Throttled(), nullptr).retry);  // 2 left
  auto c = policy.BeginCall();
  auto d = policy.OnFailure(c, Throttled(), nullptr);
  EXPECT_FALSE(d.retry);
  EXPECT_NE(d.give_up_reason.find("quota"), std::string::npos);
  EXPECT_EQ(policy.quota().available(), 2);
  EXPECT_EQ(c.attempt(), 1);
  // A timeout needs 10 tokens: refused even though 2 remain.
  auto e = policy.BeginCall();
  EXPECT_FALSE(policy.OnFailure(e, TimedOut(), nullptr).retry);
  // Successes refill it.
  policy.OnSuccess(a);  // +5
  auto f = policy.BeginCall();
  EXPECT_TRUE(policy.OnFailure(f, Throttled(), nullptr).retry);
}

TEST_F(RetryTest, QuotaIsThreadSafe) {
  RetryQuota quota(500);
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        if (quota.TryAcquire(5)) {
          ++acquired;
          quota.Release(5);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(quota.available(), 500);
  EXPECT_EQ(acquired.load(), 80'000);  // 8 threads * 5 tokens never exceed 500
  // Concurrent drain: exactly capacity / cost acquisitions succeed.
  std::atomic<int> wins{0};
  threads.clear();
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) wins += quota.TryAcquire(5) ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 100);
  EXPECT_EQ(quota.available(), 0);
}

TEST_F(RetryTest, ServerRetryDelayHeaders) {
  auto now = clock_.Now();
  EXPECT_EQ(ServerRetryDelay({{"x-amz-retry-after", "1500"}}, now), 1500ms);
  EXPECT_EQ(ServerRetryDelay({{"Retry-After", "3"}}, now), 3000ms);
  EXPECT_EQ(ServerRetryDelay({{"retry-after", " 7 "}}, now), 7000ms);
  // 2015-08-30T12:36:00Z is the FakeClock start; four seconds later:
  EXPECT_EQ(ServerRetryDelay({{"Retry-After", "Sun, 30 Aug 2015 12:36:04 GMT"}}, now), 4000ms);
  EXPECT_EQ(ServerRetryDelay({{"Retry-After", "Sun, 30 Aug 2015 12:00:00 GMT"}}, now), 0ms);  // in the past
  EXPECT_EQ(ServerRetryDelay({{"Retry-After", "soon"}}, now), std::nullopt);
  EXPECT_EQ(ServerRetryDelay({{"Retry-After", "-5"}}, now), std::nullopt);
  EXPECT_EQ(ServerRetryDelay({}, now), std::nullopt);
  // x-amz-retry-after wins over Retry-After.
  EXPECT_EQ(ServerRetryDelay({{"Retry-After", "9"}, {"x-amz-retry-after", "250"}}, now), 250ms);
}

TEST_F(RetryTest, RetryAfterRaisesTheDelayButNotAboveTheCap) {
  RetryPolicy policy({}, Fixed(0.5), clock_);
  auto call = policy.BeginCall();
  Headers wait3 = {{"Retry-After", "3"}};
  EXPECT_EQ(policy.OnFailure(call, Throttled(), &wait3).delay, 3000ms);  // 3 s > 0.5 s backoff
  Headers short_hint = {{"x-amz-retry-after", "100"}};
  EXPECT_EQ(policy.OnFailure(call, Throttled(), &short_hint).delay, 1000ms);  // backoff 1 s > 100 ms
  auto call2 = policy.BeginCall();
  Headers huge = {{"Retry-After", "3600"}};
  EXPECT_EQ(policy.OnFailure(call2, Throttled(), &huge).delay, 20s);
  // A hint never turns a non-retryable error into a retry.
  auto call3 = policy.BeginCall();
  EXPECT_FALSE(policy.OnFailure(call3, Error::Permission("denied"), &wait3).retry);
}

TEST_F(RetryTest, ResolveMaxAttempts) {
  EXPECT_EQ(ResolveMaxAttempts(std::nullopt, nullptr).value(), 3);
  EXPECT_EQ(ResolveMaxAttempts(5, nullptr).value(), 5);
  EXPECT_EQ(ResolveMaxAttempts(5, "").value(), 5);
  EXPECT_EQ(ResolveMaxAttempts(5, "7").value(), 7);  // the environment wins, as in the AWS CLI
  EXPECT_EQ(ResolveMaxAttempts(std::nullopt, "1").value(), 1);
  for (const char* bad : {"0", "-1", "three", "2.5", "1001"}) {
    auto r = ResolveMaxAttempts(std::nullopt, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().category, ErrorCategory::kConfig);
    EXPECT_NE(r.error().message.find("AWS_MAX_ATTEMPTS"), std::string::npos);
  }
  auto r = ResolveMaxAttempts(0, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("max_attempts"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::aws
