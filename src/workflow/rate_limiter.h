// Client-side rate budgets: one token bucket per (account, region, API family), shared by all work
// in that landing zone, so that a large run stays under AWS's own request-rate limits instead of
// bouncing off them. Defaults follow EC2's published buckets and conservative SSM/STS rates.
// Polling yields to mutating calls: a poll only takes a token while a reserve is left in the bucket.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace fleetpatch::workflow {

enum class CallPriority { kNormal, kPoll };

struct BucketSpec {
  double burst = 100;      // tokens the bucket holds
  double per_second = 20;  // refill rate
};

class TokenBucket {
 public:
  TokenBucket(BucketSpec spec, Clock& clock);
  // Waits until a token is available and takes it; returns how long it waited. A kPoll caller
  // waits until more than `poll_reserve` (20% of burst) tokens remain, leaving room for others.
  std::chrono::nanoseconds Acquire(CallPriority priority = CallPriority::kNormal);
  // Takes a token if one is available now.
  bool TryAcquire(CallPriority priority = CallPriority::kNormal);

 private:
  void RefillLocked();
  double Needed(CallPriority p) const { return p == CallPriority::kPoll ? 1.0 + poll_reserve_ : 1.0; }

  const BucketSpec spec_;
  const double poll_reserve_;
  Clock& clock_;
  std::mutex mu_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

// The API family an operation's rate limit belongs to, e.g. "ec2-read", "ec2-mutate", "ec2-tags",
// "ssm-read", "ssm-mutate", "sts".
std::string ApiFamily(const std::string& service, const std::string& operation);

class RateLimiter {
 public:
  explicit RateLimiter(Clock& clock, std::map<std::string, BucketSpec> specs = DefaultSpecs());
  static std::map<std::string, BucketSpec> DefaultSpecs();

  // Acquires a token from the bucket for (account, region, family of operation).
  std::chrono::nanoseconds Acquire(const std::string& account, const std::string& region, const std::string& service,
                                   const std::string& operation, CallPriority priority);

 private:
  TokenBucket& Bucket(const std::string& key, const std::string& family);

  Clock& clock_;
  const std::map<std::string, BucketSpec> specs_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<TokenBucket>> buckets_;
};

}  // namespace fleetpatch::workflow
