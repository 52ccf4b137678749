#include "workflow/disruption_budget.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace fleetpatch::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Ten web instances across two accounts (App=web), four of them in one Auto Scaling group, and two
// untagged instances.
std::vector<BudgetMember> Fleet() {
  std::vector<BudgetMember> out;
  for (int i = 0; i < 10; ++i) {
    BudgetMember m{"i-web" + std::to_string(i),
                   i < 5 ? "111111111111" : "222222222222",
                   "eu-west-1",
                   "",
                   {{"App", "web"}}};
    if (i < 4) m.auto_scaling_group = "web-asg";
    out.push_back(m);
  }
  out.push_back({"i-x", "111111111111", "eu-west-1", "", {}});
  out.push_back({"i-y", "222222222222", "us-east-1", "", {{"Team", "ops"}}});
  return out;
}

std::vector<std::string> Ids(const std::vector<BudgetMember>& m) {
  std::vector<std::string> out;
  for (const auto& x : m) out.push_back(x.instance_id);
  return out;
}

TEST(DisruptionBudget, GroupsAreAsgPerAccountAndRegionAndTagValuesAcrossAccounts) {
  DisruptionBudget b({true, 20}, {"App"}, Fleet());
  EXPECT_THAT(b.GroupsOf("i-web0"), ElementsAre("asg:111111111111/eu-west-1/web-asg", "tag:App=web"));
  EXPECT_THAT(b.GroupsOf("i-web7"), ElementsAre("tag:App=web"));
  EXPECT_TRUE(b.GroupsOf("i-x").empty());
  EXPECT_EQ(b.LimitOf("tag:App=web"), 2);                         // 20% of 10
  EXPECT_EQ(b.LimitOf("asg:111111111111/eu-west-1/web-asg"), 1);  // 20% of 4 = 0, at least 1
}

TEST(DisruptionBudget, NoWaveTakesMoreOfAGroupDownThanTheLimit) {
  DisruptionBudget b({true, 20}, {"App"}, Fleet());
  // The ASG allows one, App=web two: i-web0 takes the ASG's place, i-web1..3 wait, i-web4 takes
  // App=web's second place; untagged instances always fit.
  auto wave = b.SelectWave(Ids(Fleet()), 50);
  EXPECT_THAT(wave, ElementsAre("i-web0", "i-web4", "i-x", "i-y"));
  EXPECT_THAT(b.BlockedBy("i-web1"), HasSubstr("asg:111111111111/eu-west-1/web-asg already has 1"));
  EXPECT_THAT(b.BlockedBy("i-web5"), HasSubstr("tag:App=web already has 2"));
  b.Release("i-web0");
  EXPECT_EQ(b.BlockedBy("i-web1"), "");
  EXPECT_TRUE(b.TryAcquire("i-web1"));
  EXPECT_FALSE(b.TryAcquire("i-web2"));  // the ASG's one place is i-web1's now
}

TEST(DisruptionBudget, ReleaseGivesPlacesBackAndDoubleAcquireIsANoOp) {
  DisruptionBudget b({false, 1}, {"App"}, Fleet());
  EXPECT_TRUE(b.TryAcquire("i-web5"));
  EXPECT_TRUE(b.TryAcquire("i-web5"));  // already holding
  EXPECT_FALSE(b.TryAcquire("i-web6"));
  b.Release("i-web5");
  b.Release("i-web5");  // no-op, must not free a second place
  EXPECT_TRUE(b.TryAcquire("i-web6"));
  EXPECT_FALSE(b.TryAcquire("i-web7"));
}

TEST(DisruptionBudget, ConcurrentWorkersNeverExceedTheLimit) {
  std::vector<BudgetMember> fleet;
  for (int i = 0; i < 200; ++i) fleet.push_back({"i-" + std::to_string(i), "1", "r", "", {{"App", "web"}}});
  DisruptionBudget b({false, 3}, {"App"}, fleet);
  std::atomic<int> down{0};
  std::atomic<int> worst{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {
    workers.emplace_back([&, w] {
      for (int i = w; i < 200; i += 8) {
        std::string id = "i-" + std::to_string(i);
        while (!b.TryAcquire(id)) std::this_thread::yield();
        int now = ++down;
        int prev = worst.load();
        while (now > prev && !worst.compare_exchange_weak(prev, now)) {
        }
        --down;
        b.Release(id);
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_LE(worst.load(), 3);
  EXPECT_GE(worst.load(), 1);
}

}  // namespace
}  // namespace fleetpatch::workflow
