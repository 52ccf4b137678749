#include "cli/run_hooks.h"

#include <gtest/gtest.h>

#include "common/env.h"

namespace fleetpatch::cli {
namespace {

workflow::PhaseSummary StoppedPatch(HaltReason reason) {
  workflow::PhaseSummary s;
  s.phase = Phase::kPatch;
  s.succeeded = 4;
  s.failed = 3;
  s.skipped = 13;
  s.budget_spent = true;
  s.halt_reason = reason;
  return s;
}

TEST(RolloutHaltOfTest, AStoppedPatchRolloutIsAHaltWithItsReasonAndCounts) {
  auto budget = RolloutHaltOf("r1", StoppedPatch(HaltReason::kErrorBudgetSpent));
  ASSERT_TRUE(budget.has_value());
  EXPECT_EQ(budget->run_id, "r1");
  EXPECT_EQ(budget->reason, HaltReason::kErrorBudgetSpent);
  EXPECT_EQ(budget->failed, 3);
  EXPECT_EQ(budget->not_started, 13);
  EXPECT_NE(budget->detail.find("error budget"), std::string::npos) << budget->detail;

  auto canary = RolloutHaltOf("r1", StoppedPatch(HaltReason::kCanaryFailed));
  ASSERT_TRUE(canary.has_value());
  EXPECT_EQ(canary->reason, HaltReason::kCanaryFailed);
  EXPECT_NE(canary->detail.find("canary"), std::string::npos) << canary->detail;
}

TEST(RolloutHaltOfTest, NoHaltWhenTheRolloutWentOnWasInterruptedOrWasNoPatch) {
  workflow::PhaseSummary ran = StoppedPatch(HaltReason::kErrorBudgetSpent);
  ran.budget_spent = false;
  EXPECT_FALSE(RolloutHaltOf("r1", ran).has_value());

  // Ctrl-C stops new waves too, but that is the operator's doing, not a halt to page anyone about.
  workflow::PhaseSummary interrupted = StoppedPatch(HaltReason::kErrorBudgetSpent);
  interrupted.interrupted = true;
  EXPECT_FALSE(RolloutHaltOf("r1", interrupted).has_value());

  workflow::PhaseSummary backup = StoppedPatch(HaltReason::kErrorBudgetSpent);
  backup.phase = Phase::kBackup;
  EXPECT_FALSE(RolloutHaltOf("r1", backup).has_value());
}

// A closed maintenance window stops the run resumable (interrupted), and is still a halt to notify,
// with when the window opens next.
TEST(RolloutHaltOfTest, AClosedWindowIsAHaltThatSaysWhenItOpens) {
  workflow::PhaseSummary closed = StoppedPatch(HaltReason::kWindowClosed);
  closed.interrupted = true;
  closed.window_closed = true;
  closed.next_window = "the maintenance window opens next at 2026-12-11T21:00:00Z";
  auto halt = RolloutHaltOf("r1", closed);
  ASSERT_TRUE(halt.has_value());
  EXPECT_EQ(halt->reason, HaltReason::kWindowClosed);
  EXPECT_NE(halt->detail.find("2026-12-11T21:00:00Z"), std::string::npos) << halt->detail;
}

TEST(RollbackDoneOfTest, ListsRolledBackAndFailedRollbacksAndNothingWithoutRollbacks) {
  report::RunSummary s;
  EXPECT_FALSE(RollbackDoneOf("r1", s).has_value());
  s.rolled_back = {"i-1", "i-2"};
  s.rollback_failed = {"i-3"};
  auto e = RollbackDoneOf("r1", s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->run_id, "r1");
  EXPECT_EQ(e->instance_ids, (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_EQ(e->failed_ids, (std::vector<std::string>{"i-3"}));
  EXPECT_NE(e->detail.find("2 instance(s) restored"), std::string::npos) << e->detail;
}

TEST(InstancesInStandbyOfTest, ListsInstancesInStandbyNotSuspendedGroups) {
  report::RunSummary s;
  EXPECT_FALSE(InstancesInStandbyOf("r1", s).has_value());
  s.auto_scaling_left = {{"prod", "i-1", "web", "in_standby"},
                         {"prod", "i-2", "web", "left_in_standby"},
                         {"prod", "i-3", "api", "group_suspended"}};
  auto e = InstancesInStandbyOf("r1", s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->run_id, "r1");
  EXPECT_EQ(e->instance_ids, (std::vector<std::string>{"i-1", "i-2"}));
  s.auto_scaling_left.resize(0);
  s.auto_scaling_left.push_back({"prod", "i-3", "api", "group_suspended"});
  EXPECT_FALSE(InstancesInStandbyOf("r1", s).has_value());
}

TEST(CheckNotificationSecretsTest, AnUnsetOrEmptySecretIsAConfigErrorNamingTheVariableNotTheUrl) {
  config::Config c;
  c.notifications.webhooks.push_back(
      {"https://hooks.example.com/services/T/B/TOKENPATH", "FP_HOOK_SECRET", {}});
  for (const auto& env : {MapEnv({}), MapEnv({{"FP_HOOK_SECRET", ""}})}) {
    Status s = CheckNotificationSecrets(c, env);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().category, ErrorCategory::kConfig);
    EXPECT_NE(s.error().message.find("FP_HOOK_SECRET"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("https://hooks.example.com"), std::string::npos) << s.error().message;
    EXPECT_EQ(s.error().message.find("TOKENPATH"), std::string::npos) << s.error().message;
  }
  EXPECT_TRUE(CheckNotificationSecrets(c, MapEnv({{"FP_HOOK_SECRET", "s3cr3t"}})).ok());
}

}  // namespace
}  // namespace fleetpatch::cli
