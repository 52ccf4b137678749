// Client-side rate budgets: one token bucket per (account, region, API family), shared by all work
// in that landing zone, so that a large run stays under AWS's own request-rate limits instead of
// bouncing off them. Defaults follow EC2's published buckets and conservative SSM/STS rates.
// Every HTTP attempt takes a token (RateLimiterGate is the aws::AttemptGate that ServiceClient
// consults before each attempt, retries included), and a throttling answer slows the bucket down
// for a while: it is emptied, its rate halved (at most once per second, since the answers to
// requests already in flight arrive together; never below 10% of the configured rate) and its burst
// shrunk to about a second's worth; the rate then climbs back linearly to the configured one (from
// half to full in 10 s) and the burst returns with it. Like the AWS SDKs' "adaptive" retry mode,
// the client learns from throttles, so a throttling storm converges instead of hammering.
// Polling yields to mutating calls: a poll only takes a token while a reserve is left in the bucket.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aws/attempt_gate.h"
#include "common/clock.h"
#include "config/config.h"
#include "workflow/zone_api.h"

namespace fleetpatch::workflow {

enum class CallPriority { kNormal, kPoll };

struct BucketSpec {
  double burst = 100;      // tokens the bucket holds
  double per_second = 20;  // refill rate
};

class TokenBucket {
 public:
  // How a throttle slows the bucket down (see the file comment).
  static constexpr double kThrottleCut = 0.5;                // rate multiplied by this per throttle
  static constexpr double kMinRateFraction = 0.1;            // never below 10% of spec.per_second
  static constexpr double kRecoveryPerSecond = 0.05;         // rate regained per second, as a share of spec
  static constexpr std::chrono::seconds kThrottleWindow{1};  // one cut per window

  TokenBucket(BucketSpec spec, Clock& clock);
  // Waits until a token is available and takes it; returns how long it waited. A kPoll caller
  // waits until more than a reserve (20% of the current burst) remains, leaving room for others.
  std::chrono::nanoseconds Acquire(CallPriority priority = CallPriority::kNormal);
  // Takes a token if one is available now.
  bool TryAcquire(CallPriority priority = CallPriority::kNormal);
  // How many tokens a kNormal caller could take now without waiting, and (when none) how long
  // until one; takes nothing.
  CallRoom Peek();
  // The service throttled a request paced by this bucket: empty it and cut its rate.
  void OnThrottle();
  // The refill rate (tokens per second) and burst in force now.
  double rate();
  double capacity();

 private:
  double RateAtLocked(std::chrono::steady_clock::time_point t) const;
  double CapacityLocked(double rate) const;
  void RefillLocked();
  double NeededLocked(CallPriority p) const;

  const BucketSpec spec_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
  // The rate right after the latest cut, and when it was cut; the rate climbs back from there.
  double cut_rate_;
  std::optional<std::chrono::steady_clock::time_point> cut_at_;
};

// The API family an operation's rate limit belongs to, e.g. "ec2-read", "ec2-mutate", "ec2-tags",
// "ssm-read", "ssm-mutate", "sts".
std::string ApiFamily(const std::string& service, const std::string& operation);

// Each family's bucket from the config's `aws.rate_limits` (the one place the defaults live).
std::map<std::string, BucketSpec> BucketSpecs(const config::RateLimits& limits);

class RateLimiter {
 public:
  explicit RateLimiter(Clock& clock, std::map<std::string, BucketSpec> specs = DefaultSpecs());
  // BucketSpecs of the config's defaults.
  static std::map<std::string, BucketSpec> DefaultSpecs();

  // Acquires a token from the bucket for (account, region, family of operation).
  std::chrono::nanoseconds Acquire(const std::string& account, const std::string& region,
                                   const std::string& service, const std::string& operation,
                                   CallPriority priority);
  // Tells that bucket that AWS throttled one of its requests (TokenBucket::OnThrottle).
  void OnThrottle(const std::string& account, const std::string& region, const std::string& service,
                  const std::string& operation);
  // The bucket for (account, region, family of operation), made on first use.
  TokenBucket& BucketFor(const std::string& account, const std::string& region, const std::string& service,
                         const std::string& operation);

 private:
  TokenBucket& Bucket(const std::string& key, const std::string& family);

  Clock& clock_;
  const std::map<std::string, BucketSpec> specs_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets_;
};

// The polls that yield to other calls: DescribeImages and ListCommandInvocations.
CallPriority PriorityOf(const std::string& operation);

// The aws::AttemptGate of one service's client in one landing zone: every attempt takes a token
// from the zone's bucket for the operation's API family (polls at kPoll priority), and a throttled
// attempt slows that bucket down. The limiter must outlive the gate.
class RateLimiterGate final : public aws::AttemptGate {
 public:
  RateLimiterGate(RateLimiter& limiter, std::string account, std::string region, std::string service)
      : limiter_(limiter),
        account_(std::move(account)),
        region_(std::move(region)),
        service_(std::move(service)) {}
  void BeforeAttempt(const std::string& operation, int attempt) override;
  void AfterAttempt(const std::string& operation, int attempt, aws::AttemptOutcome outcome) override;

 private:
  RateLimiter& limiter_;
  const std::string account_, region_, service_;
};

}  // namespace fleetpatch::workflow
