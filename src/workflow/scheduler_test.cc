// The run-wide rollout: canary first and full, later waves as instances qualify, one wave at a
// time, the error budget, the failed canary, zones that leave.
#include "workflow/scheduler.h"

#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

std::unique_ptr<RolloutScheduler> Make(int canary, int wave, std::string budget, int64_t candidates, int zones = 1) {
  RolloutHistory h;
  h.candidates = candidates;
  auto parsed = CountOrPercent::Parse(budget, 1'000'000);
  EXPECT_TRUE(parsed.ok()) << budget;
  auto r = RolloutScheduler::Create({canary, wave, parsed.ok() ? *parsed : CountOrPercent{}, true, zones}, h,
                                    CancelToken());
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : nullptr;
}

std::vector<std::pair<size_t, std::string>> Ids(std::initializer_list<size_t> orders) {
  std::vector<std::pair<size_t, std::string>> v;
  for (size_t o : orders) v.emplace_back(o, "i-" + std::to_string(o));
  return v;
}

TEST(RolloutSchedulerTest, TheCanaryWaitsToBeFullWhileInstancesMayStillQualify) {
  auto r = Make(2, 10, "100%", 4);
  r->Join("a", 4, 0);
  int wave = -1;
  EXPECT_TRUE(r->Enqueue("a", Ids({3})));
  EXPECT_TRUE(r->Take("a", &wave).empty());  // one of two canary instances so far
  EXPECT_TRUE(r->Enqueue("a", Ids({1})));
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-1", "i-3"}));  // in the run's order
  EXPECT_EQ(wave, 0);
}

TEST(RolloutSchedulerTest, ASmallerCanaryStartsWhenNothingElseCanQualify) {
  auto r = Make(2, 10, "100%", 2);
  r->Join("a", 2, 0);
  int wave = -1;
  EXPECT_TRUE(r->Enqueue("a", Ids({0})));
  EXPECT_TRUE(r->Take("a", &wave).empty());
  r->Drop("a", 1);  // the other one was blocked
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-0"}));
}

TEST(RolloutSchedulerTest, LaterWavesStartOneAtATimeAsInstancesQualify) {
  auto r = Make(1, 2, "100%", 5);
  r->Join("a", 5, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0}));
  ASSERT_EQ(r->Take("a", &wave).size(), 1u);
  r->Enqueue("a", Ids({1, 2, 3}));
  EXPECT_TRUE(r->Take("a", &wave).empty()) << "no wave while the canary runs";
  r->Ended("a", 1, 0);
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-1", "i-2"}));
  EXPECT_EQ(wave, 1);
  r->Ended("a", 1, 0);
  EXPECT_TRUE(r->Take("a", &wave).empty()) << "the wave is still open";
  r->Ended("a", 1, 0);
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-3"})) << "does not wait to be full";
  EXPECT_EQ(wave, 2);
}

TEST(RolloutSchedulerTest, AFailedCanaryStopsTheRollout) {
  auto r = Make(1, 10, "100%", 3);
  r->Join("a", 3, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0, 1}));
  ASSERT_EQ(r->Take("a", &wave).size(), 1u);
  r->Ended("a", 1, 1);
  EXPECT_TRUE(r->Stopped());
  EXPECT_EQ(r->StopReason(), "canary wave failed: rollout stopped");
  EXPECT_EQ(r->Halt(), HaltReason::kCanaryFailed);
  EXPECT_TRUE(r->Take("a", &wave).empty());
  EXPECT_FALSE(r->Enqueue("a", Ids({2}))) << "what qualifies later is skipped too";
}

TEST(RolloutSchedulerTest, TheBudgetStopsNewWavesOnceSpent) {
  auto r = Make(0, 1, "1", 4);
  r->Join("a", 4, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0, 1, 2, 3}));
  ASSERT_EQ(r->Take("a", &wave).size(), 1u);
  r->Ended("a", 1, 1);
  ASSERT_EQ(r->Take("a", &wave).size(), 1u) << "one failure is allowed";
  EXPECT_FALSE(r->Halt().has_value());
  r->Ended("a", 1, 1);
  EXPECT_TRUE(r->Stopped());
  EXPECT_EQ(r->StopReason(), "error budget spent (2 failures, 1 allowed): rollout stopped");
  EXPECT_EQ(r->Halt(), HaltReason::kErrorBudgetSpent);
}

TEST(RolloutSchedulerTest, APercentBudgetCountsTheInstancesThatMayStillBePatched) {
  auto r = Make(0, 1, "50%", 4);  // 2 allowed of 4
  r->Join("a", 4, 0);
  r->Drop("a", 2);                // 2 blocked: 1 allowed of the 2 left
  int wave = -1;
  r->Enqueue("a", Ids({0, 1}));
  ASSERT_EQ(r->Take("a", &wave).size(), 1u);
  r->Ended("a", 1, 1);
  ASSERT_EQ(r->Take("a", &wave).size(), 1u);
  r->Ended("a", 1, 1);
  EXPECT_EQ(r->StopReason(), "");  // nothing was queued: the budget is checked when a wave would start
  r->Join("b", 1, 0);
  r->Enqueue("b", Ids({9}));
  EXPECT_TRUE(r->Stopped());
}

TEST(RolloutSchedulerTest, TheFirstWaveWaitsForEveryZoneOfTheFirstRound) {
  auto r = Make(1, 10, "100%", 2, /*zones=*/2);
  r->Join("b", 1, 0);
  int wave = -1;
  r->Enqueue("b", Ids({5}));
  EXPECT_TRUE(r->Take("b", &wave).empty());
  r->Enqueue("a", Ids({1}));  // a zone hands over what already qualified, then joins
  r->Join("a", 0, 0);
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-1"})) << "the canary is the first in run order";
  EXPECT_TRUE(r->Take("b", &wave).empty());
}

TEST(RolloutSchedulerTest, AZoneThatLeavesReleasesTheWave) {
  auto r = Make(0, 10, "100%", 2, 2);
  r->Join("a", 1, 0);
  r->Join("b", 1, 0);
  r->Enqueue("a", Ids({0}));
  r->Enqueue("b", Ids({1}));
  int wave = -1;
  ASSERT_EQ(r->Take("a", &wave).size(), 1u);
  r->Leave("b");  // failed before taking its share
  r->Ended("a", 1, 0);
  r->Enqueue("a", Ids({2}));
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-2"}));
}

TEST(RolloutSchedulerTest, PatchesInFlightOfAResumedRunFormTheFirstWave) {
  RolloutHistory h;
  h.candidates = 3;
  h.next_wave = 2;
  auto made = RolloutScheduler::Create({1, 10, {true, 100}, true, 1}, h, CancelToken());
  ASSERT_TRUE(made.ok());
  auto& r = *made;
  EXPECT_TRUE(r->Join("a", 1, 2));
  int wave = -1;
  r->Enqueue("a", Ids({7}));
  EXPECT_TRUE(r->Take("a", &wave).empty()) << "waits for the resumed wave";
  r->Ended("a", 2, 0);
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-7"}));
  EXPECT_EQ(wave, 2);
}

TEST(RolloutSchedulerTest, HistoryOfAResumedRun) {
  auto run = [](int wave, PatchStatus s) {
    InstanceRun r;
    r.backup = BackupResult{};
    r.backup->status = BackupStatus::kAvailable;
    r.precheck = PrecheckResult{};
    r.precheck->status = PrecheckStatus::kReady;
    r.patch = PatchResult{};
    r.patch->status = s;
    r.patch->wave = wave;
    r.patch->command_id = "cmd";
    return r;
  };
  auto h = RolloutHistoryOf({run(0, PatchStatus::kSuccess), run(1, PatchStatus::kFailed), run(1, PatchStatus::kInProgress)},
                            true, true, 1, true);
  EXPECT_EQ(h.candidates, 3);
  EXPECT_EQ(h.failures, 1);
  EXPECT_TRUE(h.canary_over);
  EXPECT_EQ(h.next_wave, 2);
  auto c = RolloutHistoryOf({run(0, PatchStatus::kInProgress)}, true, true, 1, true);
  EXPECT_TRUE(c.resumed_is_canary);
  EXPECT_FALSE(c.canary_over);
}

}  // namespace
}  // namespace fleetpatch::workflow
