#include "emulator/rate_limit.h"

#include <algorithm>

#include "emulator/service.h"

namespace fleetpatch::emulator {

std::map<std::string, RateLimit> DefaultRateLimits() {
  return {{"ec2-describe", {100, 20}}, {"ec2-mutate", {50, 5}}, {"ec2-tags", {100, 10}},
          {"ssm-read", {40, 10}},      {"ssm-write", {20, 5}},  {"sts", {100, 20}},
          {"autoscaling", {40, 10}},   {"sns", {100, 30}}};
}

bool TakeToken(Emulator::Impl& im, const std::string& bucket, const std::string& account_id,
               const std::string& region) {
  if (!im.rate_limits_enabled) return true;
  std::lock_guard<std::mutex> lock(im.buckets_mu);
  RateLimit limit = im.limits[bucket];
  TokenBucket& b = im.buckets[bucket + "|" + account_id + "|" + region];
  auto now = im.clock->SteadyNow();
  if (!b.primed) {
    b.tokens = limit.burst;
    b.primed = true;
  } else {
    std::chrono::duration<double> dt = now - b.last;
    b.tokens = std::min(limit.burst, b.tokens + dt.count() * limit.per_second);
  }
  b.last = now;
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

bool Emulator::SetRateLimit(const std::string& bucket, RateLimit limit) {
  std::lock_guard<std::mutex> lock(impl_->buckets_mu);
  auto it = impl_->limits.find(bucket);
  if (it == impl_->limits.end()) return false;
  it->second = limit;
  for (auto b = impl_->buckets.begin(); b != impl_->buckets.end();) {
    if (b->first.rfind(bucket + "|", 0) == 0)
      b = impl_->buckets.erase(b);
    else
      ++b;
  }
  return true;
}

bool Emulator::RateLimitOf(const std::string& operation, std::string* bucket, RateLimit* limit) const {
  const Operation* op = FindOperation(operation);
  if (!op) return false;
  std::lock_guard<std::mutex> lock(impl_->buckets_mu);
  *bucket = op->bucket;
  auto it = impl_->limits.find(op->bucket);
  *limit = it == impl_->limits.end() ? RateLimit{} : it->second;
  return true;
}

void Emulator::SetRateLimitsEnabled(bool enabled) { impl_->rate_limits_enabled = enabled; }

}  // namespace fleetpatch::emulator
