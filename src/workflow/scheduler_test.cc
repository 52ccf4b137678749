// The run-wide rollout: canary first and full, later waves as instances qualify, one wave at a
// time, the error budget, the failed canary, zones that leave.
#include "workflow/scheduler.h"

#include <gtest/gtest.h>

#include "testing/fake_clock.h"

namespace fleetpatch::workflow {
namespace {

std::unique_ptr<RolloutScheduler> Make(int canary, int wave, std::string budget, int64_t candidates,
                                       int zones = 1) {
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
  r->Drop("a", 2);  // 2 blocked: 1 allowed of the 2 left
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
  auto h = RolloutHistoryOf(
      {run(0, PatchStatus::kSuccess), run(1, PatchStatus::kFailed), run(1, PatchStatus::kInProgress)}, true,
      true, 1, true);
  EXPECT_EQ(h.candidates, 3);
  EXPECT_EQ(h.failures, 1);
  EXPECT_TRUE(h.canary_over);
  EXPECT_EQ(h.next_wave, 2);
  auto c = RolloutHistoryOf({run(0, PatchStatus::kInProgress)}, true, true, 1, true);
  EXPECT_TRUE(c.resumed_is_canary);
  EXPECT_FALSE(c.canary_over);
}

// ---- The disruption budget and the maintenance window, where waves are admitted.

namespace gates {

// Instances i-0 .. i-<n-1>; `asg` names the Auto Scaling group of each ("" for none). With tags,
// odd instances are in a second account (a group of an Auto Scaling group is per account).
std::shared_ptr<DisruptionBudget> Budget(const std::string& max, const std::vector<std::string>& asg,
                                         const std::vector<std::string>& tag_keys = {},
                                         const std::vector<std::map<std::string, std::string>>& tags = {}) {
  std::vector<BudgetMember> members;
  for (size_t i = 0; i < asg.size(); ++i) {
    const bool second = !tags.empty() && i % 2 == 1;
    members.push_back({"i-" + std::to_string(i), second ? "222222222222" : "111111111111", "eu-west-1",
                       asg[i], i < tags.size() ? tags[i] : std::map<std::string, std::string>{}});
  }
  auto parsed = CountOrPercent::Parse(max, 1'000'000);
  EXPECT_TRUE(parsed.ok());
  return std::make_shared<DisruptionBudget>(*parsed, tag_keys, members);
}

std::unique_ptr<RolloutScheduler> Make(int canary, int wave, int64_t candidates, RolloutOptions extra) {
  RolloutHistory h;
  h.candidates = candidates;
  extra.canary_size = canary;
  extra.wave_size = wave;
  extra.error_budget = CountOrPercent{true, 100};
  auto r = RolloutScheduler::Create(std::move(extra), h, CancelToken());
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(RolloutGatesTest, AWaveNeverTakesMoreOfOneGroupThanTheBudget) {
  RolloutOptions o;
  o.budget = Budget("1", {"web", "web", "web", ""});
  auto r = Make(0, 10, 4, o);
  r->Join("a", 4, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0, 1, 2, 3}));
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-0", "i-3"}))
      << "one of the group, and the instance in no group";
  r->Release("a", {"i-0", "i-3"});
  r->Ended("a", 2, 0);
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-1"}));
  EXPECT_EQ(wave, 1);
}

TEST(RolloutGatesTest, PlacesAreHeldUntilReleasedNotUntilTheWaveEnds) {
  RolloutOptions o;
  o.budget = Budget("1", {"web", "web"});
  auto r = Make(0, 10, 2, o);
  r->Join("a", 2, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0, 1}));
  ASSERT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-0"}));
  r->Ended("a", 1, 0);  // the patch ended, its postcheck (say) still holds the place
  EXPECT_TRUE(r->Take("a", &wave).empty()) << "i-1 waits for room in its group";
  r->Release("a", {"i-0"});
  EXPECT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-1"})) << "the release admits the waiting wave";
}

TEST(RolloutGatesTest, APercentOfATagGroupCountsAcrossAccountsAndZones) {
  RolloutOptions o;
  // App=api has 4 instances in two accounts; 50% of 4 = 2 at once.
  o.budget = Budget("50%", {"", "", "", ""}, {"App"},
                    {{{"App", "api"}}, {{"App", "api"}}, {{"App", "api"}}, {{"App", "api"}}});
  auto r = Make(4, 10, 4, o);  // a canary of 4: it forms once both zones handed theirs over
  r->Join("a", 2, 0);
  r->Join("b", 2, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0, 2}));
  r->Enqueue("b", Ids({1, 3}));
  auto a = r->Take("a", &wave);
  auto b = r->Take("b", &wave);
  EXPECT_EQ(a.size() + b.size(), 2u) << "two of the App=api group, whatever the zone";
  EXPECT_EQ(a, (std::vector<std::string>{"i-0"}));
  EXPECT_EQ(b, (std::vector<std::string>{"i-1"}));
}

TEST(RolloutGatesTest, AZoneThatLeavesGivesItsPlacesBack) {
  RolloutOptions o;
  o.budget = Budget("1", {"web", "web"});
  auto r = Make(0, 10, 2, o);
  r->Hold("a", {"i-0"});  // resumed in flight in zone a
  r->Join("a", 0, 1);
  r->Join("b", 1, 0);
  int wave = -1;
  r->Enqueue("b", Ids({1}));
  EXPECT_TRUE(r->Take("b", &wave).empty()) << "the resumed patch of the group holds its place";
  r->Leave("a");  // zone a failed before the instance's work was finished
  EXPECT_EQ(r->Take("b", &wave), (std::vector<std::string>{"i-1"}));
}

MaintenanceWindow Window(int start_minute, int end_minute) {
  config::WindowConfig c;
  c.enabled = true;
  c.start_minute = start_minute;
  c.end_minute = end_minute;
  return MaintenanceWindow(c, TimeZone::Utc());
}

TEST(RolloutGatesTest, NoWaveStartsOutsideTheWindowAndTheStopSaysWhenItOpens) {
  ::fleetpatch::testing::FakeClock clock;  // 2015-08-30T12:36:00Z
  RolloutOptions o;
  o.window = std::make_shared<const MaintenanceWindow>(Window(13 * 60, 14 * 60));
  o.clock = &clock;
  auto r = Make(0, 10, 2, o);
  r->Join("a", 2, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0}));
  EXPECT_TRUE(r->Stopped()) << "checked as the wave would start";
  EXPECT_TRUE(r->Take("a", &wave).empty());
  EXPECT_FALSE(r->Enqueue("a", Ids({1}))) << "what qualifies later waits for --resume too";
  EXPECT_EQ(r->Halt(), HaltReason::kWindowClosed);
  EXPECT_NE(r->StopReason().find("maintenance window closed"), std::string::npos);
  EXPECT_NE(r->NextWindow().find("2015-08-30T13:00:00Z"), std::string::npos) << r->NextWindow();
}

TEST(RolloutGatesTest, AWindowThatClosesMidRunLetsTheOpenWaveFinishAndStartsNoOther) {
  ::fleetpatch::testing::FakeClock clock;  // 12:36
  RolloutOptions o;
  o.window = std::make_shared<const MaintenanceWindow>(Window(12 * 60, 13 * 60));
  o.clock = &clock;
  auto r = Make(0, 1, 3, o);
  r->Join("a", 3, 0);
  int wave = -1;
  r->Enqueue("a", Ids({0, 1, 2}));
  ASSERT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-0"}));
  r->Ended("a", 1, 0);
  ASSERT_EQ(r->Take("a", &wave), (std::vector<std::string>{"i-1"})) << "still inside the window";
  clock.Advance(std::chrono::minutes(30));  // 13:06: closed while i-1 is patched
  EXPECT_FALSE(r->Stopped()) << "work in flight is not stopped";
  r->Ended("a", 1, 0);
  EXPECT_TRUE(r->Take("a", &wave).empty());
  EXPECT_EQ(r->Halt(), HaltReason::kWindowClosed);
  EXPECT_NE(r->NextWindow().find("2015-08-31T12:00:00Z"), std::string::npos) << r->NextWindow();
}

}  // namespace gates

}  // namespace
}  // namespace fleetpatch::workflow
