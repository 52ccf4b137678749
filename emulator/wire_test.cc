#include "emulator/wire.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace fleetpatch::emulator {
namespace {

TEST(WireTest, ParsesFormsListsFiltersAndTags) {
  Params p = ParseForm(
      "Action=DescribeInstances&Filter.1.Name=tag%3AName&Filter.1.Value.1=web+1&Filter.1.Value.2=db%2A"
      "&InstanceId.1=i-1&InstanceId.2=i-2&Tag.1.Key=k&Tag.1.Value=&Empty");
  EXPECT_EQ(p["Action"], "DescribeInstances");
  EXPECT_EQ(ListParam(p, "InstanceId"), (std::vector<std::string>{"i-1", "i-2"}));
  auto f = FilterParams(p);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].name, "tag:Name");
  EXPECT_EQ(f[0].values, (std::vector<std::string>{"web 1", "db*"}));
  auto t = TagParams(p, "Tag");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].key, "k");
  EXPECT_EQ(t[0].value, "");
  EXPECT_TRUE(p.count("Empty"));
}

TEST(WireTest, WildcardsMatchLikeEc2Filters) {
  EXPECT_TRUE(WildcardMatch("prod-*", "prod-web-1"));
  EXPECT_TRUE(WildcardMatch("*web*", "prod-web-1"));
  EXPECT_TRUE(WildcardMatch("prod-web-?", "prod-web-1"));
  EXPECT_FALSE(WildcardMatch("prod-web-?", "prod-web-10"));
  EXPECT_FALSE(WildcardMatch("prod", "prod-web"));
  EXPECT_TRUE(WildcardMatch("*", ""));
}

TEST(WireTest, TokensRoundTripAndRejectForeignOnes) {
  std::string key;
  EXPECT_TRUE(DecodeToken(EncodeToken("i-0123|x"), &key));
  EXPECT_EQ(key, "i-0123|x");
  EXPECT_FALSE(DecodeToken("garbage", &key));
  EXPECT_FALSE(DecodeToken("fpe1zz", &key));
}

TEST(WireTest, XmlEscapesAndTimestamps) {
  XmlWriter x;
  x.Open("a").Leaf("b", "<&>\"'").Close("a");
  EXPECT_NE(x.str().find("<a><b>&lt;&amp;&gt;&quot;&apos;</b></a>"), std::string::npos);
  EXPECT_EQ(
      FormatIso8601Millis(std::chrono::system_clock::time_point(std::chrono::milliseconds(1440938160123))),
      "2015-08-30T12:36:00.123Z");
}

}  // namespace
}  // namespace fleetpatch::emulator
