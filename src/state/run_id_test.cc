#include "state/run_id.h"

#include <gtest/gtest.h>

#include <set>

#include "testing/fake_clock.h"

namespace fleetpatch::state {
namespace {

TEST(RunId, FormatsTimeAndSuffix) {
  std::chrono::system_clock::time_point t;
  ASSERT_TRUE(ParseIso8601("2026-11-25T19:42:00Z", &t));
  EXPECT_EQ(NewRunId(t, 0x3f9a1c), "20261125-194200-3f9a1c");
  EXPECT_EQ(NewRunId(t, 0xff000001), "20261125-194200-000001");  // only 24 bits are used
  EXPECT_TRUE(IsValidRunId(NewRunId(t, 0xabcdef)));
}

TEST(RunId, SortsByTime) {
  std::chrono::system_clock::time_point a, b;
  ASSERT_TRUE(ParseIso8601("2026-11-25T19:42:59Z", &a));
  ASSERT_TRUE(ParseIso8601("2026-11-25T19:43:00Z", &b));
  EXPECT_LT(NewRunId(a, 0xffffff), NewRunId(b, 0));
}

TEST(RunId, RandomSuffixesDiffer) {
  testing::FakeClock clock;
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) ids.insert(NewRunId(clock));
  EXPECT_GT(ids.size(), 45u);  // 24 random bits: collisions among 50 are vanishingly rare
  for (const auto& id : ids) EXPECT_TRUE(IsValidRunId(id)) << id;
}

TEST(RunId, Validates) {
  EXPECT_FALSE(IsValidRunId(""));
  EXPECT_FALSE(IsValidRunId("20261125-194200-3f9a1"));
  EXPECT_FALSE(IsValidRunId("20261125-194200-3F9A1C"));
  EXPECT_FALSE(IsValidRunId("2026112x-194200-3f9a1c"));
  EXPECT_FALSE(IsValidRunId("20261125_194200-3f9a1c"));
  EXPECT_FALSE(IsValidRunId("../../etc/passwd00000x"));
}

}  // namespace
}  // namespace fleetpatch::state
