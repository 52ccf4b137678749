#include "common/time_format.h"

#include <gtest/gtest.h>

namespace fleetpatch {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TimePoint At(long long epoch_s) { return TimePoint(seconds(epoch_s)); }

TEST(TimeFormatTest, FormatsUtcInEachFormat) {
  TimePoint t = At(1440938160);  // 2015-08-30T12:36:00Z, a Sunday
  EXPECT_EQ(FormatAmzDate(t), "20150830T123600Z");
  EXPECT_EQ(FormatIso8601(t), "2015-08-30T12:36:00Z");
  EXPECT_EQ(FormatIso8601Millis(t + milliseconds(7)), "2015-08-30T12:36:00.007Z");
  EXPECT_EQ(FormatIso8601(t + milliseconds(999)), "2015-08-30T12:36:00Z");  // truncated, not rounded
  EXPECT_EQ(FormatHttpDate(At(1398796238)), "Tue, 29 Apr 2014 18:30:38 GMT");
  EXPECT_EQ(FormatUtc(t, "%Y-%m-%d"), "2015-08-30");
}

TEST(TimeFormatTest, FormatsTimesBeforeTheEpochWithoutANegativeFraction) {
  EXPECT_EQ(FormatIso8601Millis(At(0) - milliseconds(1)), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormatTest, ParsesIso8601WithFractionAndOffsets) {
  TimePoint t;
  ASSERT_TRUE(ParseIso8601("2015-08-30T12:36:00Z", &t));
  EXPECT_EQ(t, At(1440938160));
  ASSERT_TRUE(ParseIso8601("2015-08-30T14:36:00+02:00", &t));
  EXPECT_EQ(t, At(1440938160));
  ASSERT_TRUE(ParseIso8601("2015-08-30T12:06:00-0030", &t));
  EXPECT_EQ(t, At(1440938160));
  ASSERT_TRUE(ParseIso8601("2015-08-30 12:36:00", &t));
  EXPECT_EQ(t, At(1440938160));
  ASSERT_TRUE(ParseIso8601("2015-08-30T12:36:00.25Z", &t));
  EXPECT_EQ(t, At(1440938160) + milliseconds(250));
}

TEST(TimeFormatTest, RejectsMalformedIso8601AndLeavesTheOutputAlone) {
  TimePoint t = At(42);
  for (const char* bad :
       {"2015-13-30T12:36:00Z", "yesterday", "2015-08-30T12:36:00.Z", "2015-08-30T12:36:00Q",
        "2015-08-30T12:36:00+2:00", "2015-08-30T24:00:00Z", "2015-08-30T12:36:00Z "}) {
    EXPECT_FALSE(ParseIso8601(bad, &t)) << bad;
  }
  EXPECT_EQ(t, At(42));
}

// Found by fuzz_sigv4 (an X-Amz-Date of year 2815): system_clock counts nanoseconds in 64 bits, so
// it ends in April 2262; converting a later time_t overflowed (UBSan: signed integer overflow in
// from_time_t). Dates outside what a TimePoint holds are refused, like any malformed date.
TEST(TimeFormatTest, RefusesDatesATimePointCannotHold) {
  TimePoint t = At(7);
  EXPECT_FALSE(ParseIso8601("2815-08-30T12:36:00Z", &t));
  EXPECT_FALSE(ParseIso8601("9999-12-31T23:59:59Z", &t));
  EXPECT_FALSE(ParseIso8601("1600-01-01T00:00:00Z", &t));
  EXPECT_FALSE(ParseHttpDate("Tue, 29 Apr 2815 18:30:38 GMT", &t));
  EXPECT_FALSE(ParseHttpDate("Tue, 29 Apr -2147483648 18:30:38 GMT", &t));
  EXPECT_FALSE(ParseHttpDate("Tue, 29 Apr 2147483647 18:30:38 GMT", &t));
  EXPECT_EQ(t, At(7));
  EXPECT_TRUE(ParseIso8601("2261-12-31T23:59:59Z", &t));
  EXPECT_EQ(FormatIso8601(t), "2261-12-31T23:59:59Z");
}

TEST(TimeFormatTest, ParsesHttpDates) {
  TimePoint t = At(42);
  ASSERT_TRUE(ParseHttpDate("Tue, 29 Apr 2014 18:30:38 GMT", &t));
  EXPECT_EQ(t, At(1398796238));
  EXPECT_FALSE(ParseHttpDate("Tue, 29 Foo 2014 18:30:38 GMT", &t));
  EXPECT_FALSE(ParseHttpDate("Tue, 29 Apr 2014 18:30:38 CET", &t));
  EXPECT_FALSE(ParseHttpDate("29 Apr 2014", &t));
  EXPECT_EQ(t, At(1398796238));
}

TEST(TimeFormatTest, SecondsBetweenIso8601TimesIsNeverNegative) {
  EXPECT_DOUBLE_EQ(SecondsBetweenIso8601("2015-08-30T12:36:00Z", "2015-08-30T12:37:30Z"), 90);
  EXPECT_DOUBLE_EQ(SecondsBetweenIso8601("2015-08-30T12:37:00Z", "2015-08-30T12:36:00Z"), 0);
  EXPECT_DOUBLE_EQ(SecondsBetweenIso8601("garbage", "2015-08-30T12:36:00Z"), 0);
}

}  // namespace
}  // namespace fleetpatch
