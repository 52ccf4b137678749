#include "workflow/group_suspensions.h"

#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

GroupSuspensions::Record Rec(const std::string& zone, const std::string& id) {
  StandbyResult s;
  s.status = StandbyStatus::kSuspended;
  s.group = "web";
  return {zone, id, s};
}

// A group with a member in each of two zones: taken (to resume) only once neither is open, with
// both zones' records; the same name in another account or region is another group.
TEST(GroupSuspensionsTest, AGroupIsTakenOnlyOnceNoMemberAnywhereIsOpen) {
  GroupSuspensions g;
  const std::string web = GroupKey("111111111111", "us-east-1", "web");
  EXPECT_NE(web, GroupKey("111111111111", "eu-west-1", "web"));
  g.Open(web, "i-a");
  g.Open(web, "i-b");
  EXPECT_FALSE(g.TakeDone(web).has_value()) << "not suspended";
  g.Suspend(web, Rec("zone-a", "i-a"));
  EXPECT_TRUE(g.Suspended(web));
  g.Close(web, "i-a");
  EXPECT_FALSE(g.TakeDone(web).has_value()) << "i-b, in the other zone, is still to patch";
  g.Suspend(web, Rec("zone-b", "i-b"));
  g.Suspend(web, Rec("zone-b", "i-b"));  // recorded again: one record
  g.Close(web, "i-b");
  auto taken = g.TakeDone(web);
  ASSERT_TRUE(taken.has_value());
  ASSERT_EQ(taken->size(), 2u);
  EXPECT_EQ((*taken)[0].zone, "zone-a");
  EXPECT_EQ((*taken)[1].zone, "zone-b");
  EXPECT_FALSE(g.Suspended(web));
  EXPECT_FALSE(g.TakeDone(web).has_value()) << "resumed once";
}

TEST(GroupSuspensionsTest, AFailedResumeLeavesTheGroupSuspendedForTheNextTry) {
  GroupSuspensions g;
  const std::string web = GroupKey("111111111111", "us-east-1", "web");
  g.Suspend(web, Rec("zone-a", "i-a"));
  auto taken = g.TakeDone(web);
  ASSERT_TRUE(taken.has_value());
  g.Untake(web, std::move(*taken));
  EXPECT_TRUE(g.Suspended(web));
  auto again = g.TakeDone(web);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->size(), 1u);
}

}  // namespace
}  // namespace fleetpatch::workflow
