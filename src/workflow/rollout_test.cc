#include "workflow/rollout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "testing/fake_clock.h"
#include "workflow/rate_limiter.h"

namespace fleetpatch::workflow {
namespace {

std::vector<std::string> Ids(int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back("i-" + std::to_string(i));
  return v;
}

TEST(PlanWavesTest, CanaryThenBoundedWaves) {
  auto w = PlanWaves(Ids(10), 2, 3);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0], (std::vector<std::string>{"i-0", "i-1"}));
  EXPECT_EQ(w[1].size(), 3u);
  EXPECT_EQ(w[3], (std::vector<std::string>{"i-8", "i-9"}));
  EXPECT_EQ(PlanWaves(Ids(3), 5, 2).size(), 1u);
  EXPECT_EQ(PlanWaves(Ids(4), 0, 0).size(), 4u);
  EXPECT_TRUE(PlanWaves({}, 1, 5).empty());
}

TEST(ErrorBudgetTest, CountsAndPercentages) {
  ErrorBudget b(2);
  b.RecordFailure(2);
  EXPECT_FALSE(b.Spent());
  b.RecordFailure();
  EXPECT_TRUE(b.Spent());
  ErrorBudget zero(0);
  EXPECT_FALSE(zero.Spent());
  zero.RecordFailure();
  EXPECT_TRUE(zero.Spent());
}

TEST(TokenBucketTest, BurstThenRefillRate) {
  testing::FakeClock clock;
  TokenBucket bucket({10, 5}, clock);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(bucket.TryAcquire());
  EXPECT_FALSE(bucket.TryAcquire());
  auto waited = bucket.Acquire();
  EXPECT_NEAR(std::chrono::duration<double>(waited).count(), 0.2, 0.01);
  clock.Advance(std::chrono::seconds(1));
  int n = 0;
  while (bucket.TryAcquire()) ++n;
  EXPECT_EQ(n, 5);
}

TEST(TokenBucketTest, PollsLeaveAReserveForOtherCalls) {
  testing::FakeClock clock;
  TokenBucket bucket({10, 1}, clock);
  int polls = 0;
  while (bucket.TryAcquire(CallPriority::kPoll)) ++polls;
  EXPECT_EQ(polls, 8);  // stops while 2 tokens (20%) are left
  EXPECT_TRUE(bucket.TryAcquire(CallPriority::kNormal));
  EXPECT_TRUE(bucket.TryAcquire(CallPriority::kNormal));
  EXPECT_FALSE(bucket.TryAcquire(CallPriority::kNormal));
}

TEST(RateLimiterTest, BucketsAreSeparatePerAccountRegionAndFamily) {
  testing::FakeClock clock;
  RateLimiter limiter(clock, {{"ec2-mutate", {2, 1}}, {"ec2-read", {2, 1}}});
  auto take = [&](const char* acct, const char* region, const char* op) {
    return limiter.Acquire(acct, region, "ec2", op, CallPriority::kNormal).count();
  };
  EXPECT_EQ(take("1", "r", "CreateImage"), 0);
  EXPECT_EQ(take("1", "r", "CreateImage"), 0);
  EXPECT_GT(take("1", "r", "CreateImage"), 0);  // third mutating call in the same zone waits
  EXPECT_EQ(take("1", "r", "DescribeImages"), 0);
  EXPECT_EQ(take("2", "r", "CreateImage"), 0);
  EXPECT_EQ(take("1", "r2", "CreateImage"), 0);
  EXPECT_EQ(ApiFamily("ec2", "CreateTags"), "ec2-tags");
  EXPECT_EQ(ApiFamily("ssm", "SendCommand"), "ssm-mutate");
  EXPECT_EQ(ApiFamily("ssm", "ListCommandInvocations"), "ssm-read");
}

// Four threads share a bucket of burst 5 at 100 tokens/s. On the fake clock (each waiting caller's
// SleepFor advances it) no grant may come earlier than the budget allows: by time t at most
// 5 + 100 * t tokens. The time of a grant is read after Acquire returns, so it is never early.
TEST(RateLimiterTest, ConcurrentCallersNeverExceedTheBudget) {
  testing::FakeClock clock;
  constexpr double kBurst = 5, kRate = 100;
  TokenBucket bucket({kBurst, kRate}, clock);
  const auto start = clock.SteadyNow();
  std::mutex mu;
  std::vector<double> grants_s;  // seconds after start of each grant
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        bucket.Acquire();
        std::lock_guard lock(mu);
        grants_s.push_back(std::chrono::duration<double>(clock.SteadyNow() - start).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(grants_s.size(), 100u);
  std::sort(grants_s.begin(), grants_s.end());
  for (size_t n = 0; n < grants_s.size(); ++n) {
    ASSERT_LE(static_cast<double>(n + 1), kBurst + kRate * grants_s[n] + 1e-6)
        << "grant " << n + 1 << " at " << grants_s[n] << " s exceeds the budget";
  }
}

}  // namespace
}  // namespace fleetpatch::workflow
