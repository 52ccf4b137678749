#include "common/count_or_percent.h"

#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

TEST(CountOrPercentTest, ParsesCountsAndPercentages) {
  auto count = CountOrPercent::Parse("2", 100);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, (CountOrPercent{false, 2}));
  EXPECT_EQ(count->Of(1000), 2);
  EXPECT_EQ(CountOrPercent::Parse("10%", 0)->Of(55), 5);  // rounded down
  EXPECT_EQ(CountOrPercent::Parse("2.5 %", 0)->Of(200), 5);
  EXPECT_EQ(CountOrPercent::Parse("0", 5)->Of(5), 0);
  EXPECT_EQ(CountOrPercent::Parse("100%", 0)->Of(7), 7);
}

TEST(CountOrPercentTest, RejectsMalformedAndOutOfRange) {
  for (const char* bad : {"", "-1", "x", "1.5", "%", "10%%", "1e3"}) {
    auto r = CountOrPercent::Parse(bad, 10);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message.rfind("expected a count (0 to 10) or a percentage", 0), 0u)
        << r.error().message;
  }
  for (const char* far : {"110%", "11", "99999999999"}) {
    auto r = CountOrPercent::Parse(far, 10);
    ASSERT_FALSE(r.ok()) << far;
    EXPECT_EQ(r.error().message,
              "out of range: " + std::string(far) + "; allowed: " + CountOrPercent::Allowed(10));
  }
}

TEST(CountOrPercentTest, ToStringReadsBack) {
  for (const char* s : {"0", "7", "10%", "2.5%", "100%"}) {
    auto r = CountOrPercent::Parse(s, 10);
    ASSERT_TRUE(r.ok()) << s;
    EXPECT_EQ(r->ToString(), s);
    EXPECT_EQ(*CountOrPercent::Parse(r->ToString(), 10), *r);
  }
}

}  // namespace
}  // namespace fleetpatch
