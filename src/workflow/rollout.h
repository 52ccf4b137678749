// Rollout planning for the patch phase: a canary wave first, then waves bounded by the maximum
// concurrency, and the run-wide error budget that stops starting new waves once it is spent.
// ErrorBudget is thread-safe; PlanWaves is a pure function.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "common/error.h"

namespace fleetpatch::workflow {

// Splits `ids` (in order) into a canary wave of `canary_size` (0: none) and then waves of at most
// `wave_size` (>= 1).
std::vector<std::vector<std::string>> PlanWaves(const std::vector<std::string>& ids, int canary_size,
                                                int wave_size);

// An error budget: `allowed` failures (a CountOrPercent's Of() the instances targeted). It is spent
// when more failures than allowed have been seen.
class ErrorBudget {
 public:
  explicit ErrorBudget(int allowed) : allowed_(allowed) {}
  ErrorBudget(const ErrorBudget& o) : allowed_(o.allowed_), failures_(o.failures_.load()) {}

  void RecordFailure(int n = 1) { failures_ += n; }
  bool Spent() const { return failures_.load() > allowed_; }
  int allowed() const { return allowed_; }
  int failures() const { return failures_.load(); }

 private:
  int allowed_;
  std::atomic<int> failures_{0};
};

}  // namespace fleetpatch::workflow
