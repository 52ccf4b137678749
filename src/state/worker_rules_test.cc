#include "state/worker_rules.h"

#include <gtest/gtest.h>

namespace fleetpatch::state {
namespace {

RolloutRecord Record(int canary, int wave_size, int64_t allowed) {
  RolloutRecord r;
  r.policy.canary_size = canary;
  r.policy.wave_size = wave_size;
  r.policy.allowed_failures = allowed;
  return r;
}

TEST(WorkerRules, TheCanaryWaveTakesTheCanarySizeAndTheNextOpensWhenItIsOver) {
  RolloutRecord r = Record(2, 5, 10);
  EXPECT_EQ(DecideAdmission(&r, {0, 0}).wave, 0);
  EXPECT_TRUE(DecideAdmission(&r, {1, 0}).canary);
  EXPECT_EQ(DecideAdmission(&r, {2, 1}).decision, AdmitDecision::kWait);
  Admission next = DecideAdmission(&r, {2, 2});
  EXPECT_EQ(next.decision, AdmitDecision::kAdmitted);
  EXPECT_EQ(next.wave, 1);
  EXPECT_FALSE(next.canary);
  EXPECT_EQ(r.wave, 1);
  EXPECT_EQ(WaveCapacity(r.policy, 1), 5);
}

TEST(WorkerRules, WithoutACanaryWaveZeroIsAnOrdinaryWave) {
  RolloutRecord r = Record(0, 3, 0);
  Admission a = DecideAdmission(&r, {2, 0});
  EXPECT_EQ(a.wave, 0);
  EXPECT_FALSE(a.canary);
  EXPECT_EQ(DecideAdmission(&r, {3, 0}).decision, AdmitDecision::kWait);
}

TEST(WorkerRules, FailuresStopTheRolloutWithTheWorkflowsWording) {
  RolloutRecord r = Record(1, 5, 1);
  CountPatchEnd(&r, 0, true);
  EXPECT_EQ(r.stop_reason, kCanaryFailedReason);
  RolloutRecord lenient = Record(1, 5, 1);
  lenient.policy.canary_must_succeed = false;
  CountPatchEnd(&lenient, 0, true);
  EXPECT_EQ(lenient.stop_reason, "");
  CountPatchEnd(&lenient, 1, false);
  EXPECT_EQ(lenient.failures, 1);
  CountPatchEnd(&lenient, kOutsideAnyWave, true);
  EXPECT_EQ(lenient.stop_reason, "error budget spent (2 failures, 1 allowed): rollout stopped");
  Admission stopped = DecideAdmission(&lenient, {0, 0});
  EXPECT_EQ(stopped.decision, AdmitDecision::kStopped);
  EXPECT_EQ(stopped.reason, lenient.stop_reason);
}

TEST(WorkerRules, PoliciesAndTtlsAreChecked) {
  EXPECT_TRUE(CheckRolloutPolicy(RolloutPolicy{}).ok());
  EXPECT_FALSE(CheckRolloutPolicy(Record(0, 0, 0).policy).ok());
  EXPECT_FALSE(CheckRolloutPolicy(Record(-1, 1, 0).policy).ok());
  EXPECT_FALSE(CheckRolloutPolicy(Record(0, 1, -1).policy).ok());
  EXPECT_FALSE(CheckLeaseTtl(std::chrono::milliseconds(0)).ok());
  EXPECT_TRUE(CheckLeaseTtl(std::chrono::milliseconds(1)).ok());
}

}  // namespace
}  // namespace fleetpatch::state
