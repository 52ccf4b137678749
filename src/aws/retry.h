// Retry policy: the one place that decides whether and when a failed AWS call is retried, following
// the AWS SDKs' "standard" retry mode:
// - at most max_attempts attempts per call (default 3; AWS_MAX_ATTEMPTS or config max_attempts);
// - only retryable errors (throttling, transient 5xx, timeouts, connection errors) are retried;
// - before retry i (0-based) it waits min(max_backoff, random[0,1) * 2^i seconds) ("full jitter"),
//   or longer when the service asked for it (Retry-After / x-amz-retry-after), never above max_backoff;
// - a retry quota shared by every call of one client (500 tokens) stops retry storms: a retry costs 5
//   tokens (10 after a timeout or connection error) and is refused when the tokens run out; a call
//   that succeeds after retrying refunds its last retry's cost, a first-try success refunds 1.
// Randomness and time are injected, so every decision is deterministic in tests.
// Thread-safety: RetryQuota and RetryPolicy are safe to share between threads; a RetryPolicy::Call
// belongs to one call on one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "aws/http.h"
#include "common/clock.h"
#include "common/error.h"

namespace fleetpatch::aws {

struct RetryOptions {
  int max_attempts = 3;                              // Default: 3 (first try included).
  std::chrono::milliseconds max_backoff{20'000};     // Default: 20 s.
  std::chrono::milliseconds base_backoff{1'000};     // Default: 1 s (the "b" of b * 2^i).
  int quota_capacity = 500;                          // Default: 500 tokens.
  int retry_cost = 5;                                // Default: 5 tokens per retry.
  int timeout_retry_cost = 10;                       // Default: 10 after a timeout/connection error.
  int no_retry_increment = 1;                        // Default: 1 token back per first-try success.
};

// Max attempts from the environment value of AWS_MAX_ATTEMPTS (wins when set) or the config file's
// max_attempts, else 3. A value that is not a whole number >= 1 is a kConfig error naming its source.
Result<int> ResolveMaxAttempts(std::optional<int> config_value, const char* env_value);

// A source of uniform random numbers in [0, 1). Must be safe to call from many threads.
using RandomSource = std::function<double()>;
// A thread-safe Mersenne Twister; seeded from std::random_device when seed is nullopt.
RandomSource MakeRandomSource(std::optional<std::uint64_t> seed = std::nullopt);

// The token bucket. Thread-safe.
class RetryQuota {
 public:
  explicit RetryQuota(int capacity) : capacity_(capacity), available_(capacity) {}
  // Takes `cost` tokens; returns false (and takes nothing) when fewer are left.
  bool TryAcquire(int cost);
  // Returns tokens, never above capacity.
  void Release(int amount);
  int available() const;
  int capacity() const { return capacity_; }

 private:
  const int capacity_;
  mutable std::mutex mu_;
  int available_;  // guarded by mu_
};

// How long the service asked us to wait: x-amz-retry-after (milliseconds) or Retry-After (seconds or
// an HTTP date, relative to `now`). nullopt when absent or unparseable; never negative.
std::optional<std::chrono::milliseconds> ServerRetryDelay(const Headers& headers,
                                                          std::chrono::system_clock::time_point now);

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};  // wait this long before the next attempt (when retry)
  std::string give_up_reason;          // when !retry and the error was retryable: why we stopped
};

class RetryPolicy {
 public:
  // The state of one call (all its attempts). Cheap; create one per call with BeginCall().
  class Call {
   public:
    int attempt() const { return attempt_; }  // 1-based number of the attempt in progress

   private:
    friend class RetryPolicy;
    int attempt_ = 1;
    int last_retry_cost_ = 0;  // tokens taken for the latest retry; refunded on success
  };

  // `clock` is used to read the time for HTTP-date Retry-After values; it must outlive the policy.
  RetryPolicy(RetryOptions options, RandomSource random, const Clock& clock);

  Call BeginCall() const { return Call(); }
  // Decides after a failed attempt. `response_headers` (nullptr when no response arrived) supply
  // Retry-After hints. When retrying, takes quota tokens and advances call.attempt().
  RetryDecision OnFailure(Call& call, const Error& error, const Headers* response_headers);
  // Records the call's success: refunds tokens to the shared quota.
  void OnSuccess(const Call& call);

  // The jittered backoff before retry number `retry_index` (0 for the first retry).
  std::chrono::milliseconds Backoff(int retry_index);

  const RetryOptions& options() const { return options_; }
  RetryQuota& quota() { return quota_; }

 private:
  const RetryOptions options_;
  RandomSource random_;
  const Clock& clock_;
  RetryQuota quota_;
};

}  // namespace fleetpatch::aws
