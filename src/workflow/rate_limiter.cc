#include "workflow/rate_limiter.h"

#include <algorithm>
#include <set>

namespace fleetpatch::workflow {

TokenBucket::TokenBucket(BucketSpec spec, Clock& clock)
    : spec_(spec), poll_reserve_(spec.burst * 0.2), clock_(clock), tokens_(spec.burst), last_(clock.SteadyNow()) {}

void TokenBucket::RefillLocked() {
  auto now = clock_.SteadyNow();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  if (elapsed > 0) {
    tokens_ = std::min(spec_.burst, tokens_ + elapsed * spec_.per_second);
    last_ = now;
  }
}

bool TokenBucket::TryAcquire(CallPriority priority) {
  std::lock_guard<std::mutex> lock(mu_);
  RefillLocked();
  if (tokens_ < Needed(priority)) return false;
  tokens_ -= 1.0;
  return true;
}

std::chrono::nanoseconds TokenBucket::Acquire(CallPriority priority) {
  std::chrono::nanoseconds waited{0};
  while (true) {
    double deficit;
    {
      std::lock_guard<std::mutex> lock(mu_);
      RefillLocked();
      double need = Needed(priority);
      if (tokens_ >= need) {
        tokens_ -= 1.0;
        return waited;
      }
      deficit = need - tokens_;
    }
    // Sleep about as long as the refill takes (at least 1 ms), then try again: other callers may
    // have taken the token meanwhile, which is fair enough for a client-side budget.
    auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::duration<double>(std::max(deficit / spec_.per_second, 0.001)));
    clock_.SleepFor(wait);
    waited += wait;
  }
}

std::string ApiFamily(const std::string& service, const std::string& operation) {
  static const std::set<std::string> kEc2Mutating = {"CreateImage", "DeregisterImage", "DeleteSnapshot",
                                                     "RunInstances", "StopInstances", "StartInstances"};
  static const std::set<std::string> kSsmMutating = {"SendCommand", "CancelCommand"};
  if (service == "ec2") {
    if (operation == "CreateTags" || operation == "DeleteTags") return "ec2-tags";
    return kEc2Mutating.count(operation) ? "ec2-mutate" : "ec2-read";
  }
  if (service == "ssm") return kSsmMutating.count(operation) ? "ssm-mutate" : "ssm-read";
  return service;
}

std::map<std::string, BucketSpec> RateLimiter::DefaultSpecs() {
  // EC2: 90% of AWS's published account-level buckets (non-mutating 100/20, mutating 50/5, CreateTags
  // 100/10), the same defaults as config.h. SSM and STS publish no per-action numbers; conservative.
  return {{"ec2-read", {90, 18}}, {"ec2-mutate", {45, 4.5}}, {"ec2-tags", {90, 9}},
          {"ssm-read", {40, 10}},  {"ssm-mutate", {20, 5}}, {"sts", {20, 10}}};
}

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

std::chrono::nanoseconds RateLimiter::Acquire(const std::string& account, const std::string& region,
                                              const std::string& service, const std::string& operation,
                                              CallPriority priority) {
  std::string family = ApiFamily(service, operation);
  return Bucket(account + "/" + region + "/" + family, family).Acquire(priority);
}

}  // namespace fleetpatch::workflow
