#include "workflow/rate_limiter.h"

#include <algorithm>
#include <set>

namespace fleetpatch::workflow {

TokenBucket::TokenBucket(BucketSpec spec, Clock& clock)
    : spec_(spec), clock_(clock), tokens_(spec.burst), last_(clock.SteadyNow()), cut_rate_(spec.per_second) {}

double TokenBucket::RateAtLocked(std::chrono::steady_clock::time_point t) const {
  if (!cut_at_) return spec_.per_second;
  double since = std::max(0.0, std::chrono::duration<double>(t - *cut_at_).count());
  return std::min(spec_.per_second, cut_rate_ + since * kRecoveryPerSecond * spec_.per_second);
}

double TokenBucket::CapacityLocked(double rate) const {
  // While slowed down, no burst: about one second's worth (at least 2, so a poll can still find
  // its reserve). Back at the full rate, the full burst.
  if (rate >= spec_.per_second) return spec_.burst;
  return std::min(spec_.burst, std::max(2.0, rate));
}

double TokenBucket::NeededLocked(CallPriority p) const {
  return p == CallPriority::kPoll ? 1.0 + 0.2 * CapacityLocked(RateAtLocked(last_)) : 1.0;
}

void TokenBucket::RefillLocked() {
  auto now = clock_.SteadyNow();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    // The rate changes linearly while recovering: the mean of both ends is exact for a line and
    // close enough where it reaches the cap.
    double now_rate = RateAtLocked(now);
    double mean_rate = (RateAtLocked(last_) + now_rate) / 2;
    tokens_ = std::min(CapacityLocked(now_rate), tokens_ + elapsed * mean_rate);
    last_ = now;
  }
}

bool TokenBucket::TryAcquire(CallPriority priority) {
  std::lock_guard<std::mutex> lock(mu_);
  RefillLocked();
  if (tokens_ < NeededLocked(priority)) return false;
  tokens_ -= 1.0;
  return true;
}

CallRoom TokenBucket::Peek() {
  std::lock_guard<std::mutex> lock(mu_);
  RefillLocked();
  if (tokens_ >= 1.0) return {static_cast<size_t>(tokens_), std::chrono::nanoseconds(0)};
  const double wait_s = std::max((1.0 - tokens_) / RateAtLocked(last_), 0.001);  // as Acquire sleeps
  return {0, std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(wait_s))};
}

std::chrono::nanoseconds TokenBucket::Acquire(CallPriority priority) {
  std::chrono::nanoseconds waited{0};
  while (true) {
    double deficit;
    double rate;
    {
      std::lock_guard<std::mutex> lock(mu_);
      RefillLocked();
      double need = NeededLocked(priority);
      if (tokens_ >= need) {
        tokens_ -= 1.0;
        return waited;
      }
      deficit = need - tokens_;
      rate = RateAtLocked(last_);
    }
    // Sleep about as long as the refill takes (at least 1 ms), then try again: other callers may
    // have taken the token meanwhile, which is fair enough for a client-side budget.
    auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(std::max(deficit / rate, 0.001)));
    clock_.SleepFor(wait);
    waited += wait;
  }
}

void TokenBucket::OnThrottle() {
  std::lock_guard<std::mutex> lock(mu_);
  RefillLocked();
  tokens_ = 0;  // whatever was left is what the server no longer has
  // Requests sent before the first throttle answer are throttled together: one cut per window.
  if (cut_at_ && last_ - *cut_at_ < kThrottleWindow) return;
  double rate = RateAtLocked(last_);
  cut_rate_ = std::max(spec_.per_second * kMinRateFraction, rate * kThrottleCut);
  cut_at_ = last_;
}

double TokenBucket::rate() {
  std::lock_guard<std::mutex> lock(mu_);
  return RateAtLocked(clock_.SteadyNow());
}

double TokenBucket::capacity() {
  std::lock_guard<std::mutex> lock(mu_);
  return CapacityLocked(RateAtLocked(clock_.SteadyNow()));
}

std::string ApiFamily(const std::string& service, const std::string& operation) {
  static const std::set<std::string> kEc2Mutating = {"CreateImage",  "DeregisterImage", "DeleteSnapshot",
                                                     "RunInstances", "StopInstances",   "StartInstances"};
  static const std::set<std::string> kSsmMutating = {"SendCommand", "CancelCommand"};
  if (service == "ec2") {
    if (operation == "CreateTags" || operation == "DeleteTags") return "ec2-tags";
    return kEc2Mutating.count(operation) ? "ec2-mutate" : "ec2-read";
  }
  if (service == "ssm") return kSsmMutating.count(operation) ? "ssm-mutate" : "ssm-read";
  return service;
}

std::map<std::string, BucketSpec> BucketSpecs(const config::RateLimits& rl) {
  return {{"ec2-read", {rl.ec2_non_mutating.burst, rl.ec2_non_mutating.per_second}},
          {"ec2-mutate", {rl.ec2_mutating.burst, rl.ec2_mutating.per_second}},
          {"ec2-tags", {rl.ec2_create_tags.burst, rl.ec2_create_tags.per_second}},
          {"ssm-read", {rl.ssm_read.burst, rl.ssm_read.per_second}},
          {"ssm-mutate", {rl.ssm_write.burst, rl.ssm_write.per_second}},
          {"sts", {rl.sts.burst, rl.sts.per_second}}};
}

std::map<std::string, BucketSpec> RateLimiter::DefaultSpecs() { return BucketSpecs(config::RateLimits{}); }

RateLimiter::RateLimiter(Clock& clock, std::map<std::string, BucketSpec> specs)
    : clock_(clock), specs_(std::move(specs)) {}

TokenBucket& RateLimiter::Bucket(const std::string& key, const std::string& family) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& b = buckets_[key];
  if (!b) {
    auto it = specs_.find(family);
    b = std::make_unique<TokenBucket>(it == specs_.end() ? BucketSpec{20, 5} : it->second, clock_);
  }
  return *b;
}

TokenBucket& RateLimiter::BucketFor(const std::string& account, const std::string& region,
                                    const std::string& service, const std::string& operation) {
  std::string family = ApiFamily(service, operation);
  return Bucket(account + "/" + region + "/" + family, family);
}

std::chrono::nanoseconds RateLimiter::Acquire(const std::string& account, const std::string& region,
                                              const std::string& service, const std::string& operation,
                                              CallPriority priority) {
  return BucketFor(account, region, service, operation).Acquire(priority);
}

void RateLimiter::OnThrottle(const std::string& account, const std::string& region,
                             const std::string& service, const std::string& operation) {
  BucketFor(account, region, service, operation).OnThrottle();
}

CallPriority PriorityOf(const std::string& operation) {
  return operation == "DescribeImages" || operation == "ListCommandInvocations" ? CallPriority::kPoll
                                                                                : CallPriority::kNormal;
}

void RateLimiterGate::BeforeAttempt(const std::string& operation, int /*attempt*/) {
  limiter_.Acquire(account_, region_, service_, operation, PriorityOf(operation));
}

void RateLimiterGate::AfterAttempt(const std::string& operation, int /*attempt*/,
                                   aws::AttemptOutcome outcome) {
  if (outcome == aws::AttemptOutcome::kThrottled) limiter_.OnThrottle(account_, region_, service_, operation);
}

}  // namespace fleetpatch::workflow
