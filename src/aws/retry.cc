#include "aws/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>
#include <random>
#include <sstream>

#include "common/time_format.h"

namespace fleetpatch::aws {
namespace {

std::optional<long long> ParseWholeNumber(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

Result<int> ResolveMaxAttempts(std::optional<int> config_value, const char* env_value) {
  if (env_value != nullptr && *env_value != '\0') {
    auto v = ParseWholeNumber(env_value);
    if (!v || *v < 1 || *v > 1000) {
      return Error::Config("AWS_MAX_ATTEMPTS must be a whole number from 1 to 1000, got '" +
                           std::string(env_value) + "'");
    }
    return static_cast<int>(*v);
  }
  if (config_value) {
    if (*config_value < 1 || *config_value > 1000) {
      return Error::Config("max_attempts in the AWS config must be from 1 to 1000, got " +
                           std::to_string(*config_value));
    }
    return *config_value;
  }
  return RetryOptions{}.max_attempts;
}

RandomSource MakeRandomSource(std::optional<std::uint64_t> seed) {
  struct State {
    std::mutex mu;
    std::mt19937_64 engine;
    std::uniform_real_distribution<double> dist{0.0, 1.0};
  };
  auto state = std::make_shared<State>();
  state->engine.seed(
      seed ? *seed : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}());
  return [state] {
    std::lock_guard lock(state->mu);
    return state->dist(state->engine);
  };
}

bool RetryQuota::TryAcquire(int cost) {
  std::lock_guard lock(mu_);
  if (available_ < cost) return false;
  available_ -= cost;
  return true;
}

void RetryQuota::Release(int amount) {
  std::lock_guard lock(mu_);
  available_ = std::min(capacity_, available_ + amount);
}

int RetryQuota::available() const {
  std::lock_guard lock(mu_);
  return available_;
}

std::optional<std::chrono::milliseconds> ServerRetryDelay(const Headers& headers,
                                                          std::chrono::system_clock::time_point now) {
  using std::chrono::milliseconds;
  if (const std::string* v = FindHeader(headers, "x-amz-retry-after")) {
    if (auto ms = ParseWholeNumber(*v); ms && *ms >= 0) return milliseconds(*ms);
  }
  if (const std::string* v = FindHeader(headers, "Retry-After")) {
    if (auto s = ParseWholeNumber(*v)) {
      if (*s < 0) return std::nullopt;
      return milliseconds(std::min<long long>(*s, 86'400) * 1000);
    }
    if (TimePoint when; ParseHttpDate(*v, &when)) {
      auto d = std::chrono::duration_cast<milliseconds>(when - now);
      return std::max(d, milliseconds(0));
    }
  }
  return std::nullopt;
}

RetryPolicy::RetryPolicy(RetryOptions options, RandomSource random, const Clock& clock)
    : options_(options), random_(std::move(random)), clock_(clock), quota_(options.quota_capacity) {}

std::chrono::milliseconds RetryPolicy::Backoff(int retry_index) {
  double r = random_();
  r = std::clamp(r, 0.0, 1.0);
  // 2^i overflows nothing useful beyond ~2^30; the cap applies long before.
  double factor = std::ldexp(1.0, std::clamp(retry_index, 0, 30));
  double ms = r * factor * static_cast<double>(options_.base_backoff.count());
  double cap = static_cast<double>(options_.max_backoff.count());
  return std::chrono::milliseconds(static_cast<long long>(std::min(ms, cap)));
}

RetryDecision RetryPolicy::OnFailure(Call& call, const Error& error, const Headers* response_headers) {
  RetryDecision d;
  if (!error.retryable) return d;
  if (call.attempt_ >= options_.max_attempts) {
    d.give_up_reason = "gave up after " + std::to_string(call.attempt_) + " attempt" +
                       (call.attempt_ == 1 ? "" : "s") + " (AWS_MAX_ATTEMPTS / max_attempts)";
    return d;
  }
  const bool timeout_like =
      error.category == ErrorCategory::kTimeout || error.category == ErrorCategory::kConnectivity;
  const int cost = timeout_like ? options_.timeout_retry_cost : options_.retry_cost;
  if (!quota_.TryAcquire(cost)) {
    d.give_up_reason =
        "not retried: the client's retry quota is used up by many recent failures, a sign that "
        "the service or the network is unhealthy";
    return d;
  }
  const int retry_index = call.attempt_ - 1;
  call.last_retry_cost_ = cost;
  ++call.attempt_;
  d.retry = true;
  d.delay = Backoff(retry_index);
  if (response_headers != nullptr) {
    if (auto hint = ServerRetryDelay(*response_headers, clock_.Now())) {
      d.delay = std::min(std::max(d.delay, *hint), options_.max_backoff);
    }
  }
  return d;
}

void RetryPolicy::OnSuccess(const Call& call) {
  quota_.Release(call.last_retry_cost_ > 0 ? call.last_retry_cost_ : options_.no_retry_increment);
}

}  // namespace fleetpatch::aws
