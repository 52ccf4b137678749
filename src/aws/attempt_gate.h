// AttemptGate: a hook ServiceClient consults before every HTTP attempt of a call (the first and
// each retry) and tells about each attempt's outcome. It exists so that a client-side rate budget
// can pace attempts rather than logical calls: a retry of a throttled call is another request
// against the same server-side bucket and must wait for a token like any other; and a throttling
// answer is the best signal that the budget is set too high. The aws layer only defines the hook;
// what it does (token buckets per account, region and API family, adaptive slow-down) belongs to
// the caller (workflow::RateLimiter behind workflow::RateLimiterGate).
// Thread-safety: implementations must be safe to call from many threads at once.
#pragma once

#include <string>

namespace fleetpatch::aws {

enum class AttemptOutcome {
  kSuccess,    // a 2xx answer
  kThrottled,  // the service said slow down (ErrorCategory::kThrottled)
  kFailed,     // any other error, with or without an answer
};

class AttemptGate {
 public:
  virtual ~AttemptGate() = default;
  // Blocks until attempt number `attempt` (1-based) of `operation` (e.g. "CreateImage") may be sent.
  virtual void BeforeAttempt(const std::string& operation, int attempt) = 0;
  // The outcome of the attempt just made (called once per BeforeAttempt).
  virtual void AfterAttempt(const std::string& operation, int attempt, AttemptOutcome outcome) = 0;
};

}  // namespace fleetpatch::aws
