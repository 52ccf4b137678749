#include "workflow/poll_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fleetpatch::workflow {
namespace {

using std::chrono::seconds;

TEST(PollDelay, FirstThenDoublingUpToTheInterval) {
  EXPECT_EQ(PollDelay(seconds(1), seconds(10), 0), seconds(1));
  EXPECT_EQ(PollDelay(seconds(1), seconds(10), 1), seconds(2));
  EXPECT_EQ(PollDelay(seconds(1), seconds(10), 2), seconds(4));
  EXPECT_EQ(PollDelay(seconds(1), seconds(10), 3), seconds(8));
  EXPECT_EQ(PollDelay(seconds(1), seconds(10), 4), seconds(10));
  EXPECT_EQ(PollDelay(seconds(1), seconds(10), 1000), seconds(10)) << "no overflow however many checks";
}

// With the defaults on AWS (first_poll.patch 60 s, poll_interval 10 s) nothing changes: every wait is
// the interval, as before the doubling.
TEST(PollDelay, AFirstMomentPastTheIntervalIsTheInterval) {
  for (int n = 0; n < 5; ++n) EXPECT_EQ(PollDelay(seconds(60), seconds(10), n), seconds(10)) << n;
}

// A straggler ending T after its batch started is seen by 2 T + first (before the cap), after
// about log2(T / first) checks, not T / first.
TEST(PollDelay, AStragglerIsSeenWithinABoundedFactorOfItsEndInLogarithmicallyManyChecks) {
  const auto first = std::chrono::milliseconds(1000), interval = std::chrono::milliseconds(300'000);
  for (int end_ms : {1001, 2999, 3001, 7000, 40'000, 100'000}) {
    std::chrono::nanoseconds t = PollDelay(first, interval, 0);
    int checks = 1;
    for (; t < std::chrono::milliseconds(end_ms); ++checks) t += PollDelay(first, interval, checks);
    EXPECT_LE(t, 2 * std::chrono::milliseconds(end_ms) + first) << end_ms;
    EXPECT_LE(checks, 2 + std::log2(end_ms / 1000.0)) << end_ms;
  }
}

class PollScheduleTest : public ::testing::Test {
 protected:
  SteadyTime At(int s) const { return start_ + seconds(s); }
  SteadyTime start_{seconds(1000)};
};

TEST_F(PollScheduleTest, ABatchIsCheckedAtDoublingWaitsUntilItIsOver) {
  PollSchedule p(seconds(1), seconds(10));
  EXPECT_FALSE(p.Due());
  p.Started(At(0));
  EXPECT_EQ(p.Due(), At(1));
  EXPECT_FALSE(p.DueBy(At(0)));
  EXPECT_TRUE(p.DueBy(At(1)));
  p.Checked(At(1));
  EXPECT_EQ(p.Due(), At(3));
  p.Checked(At(3));
  EXPECT_EQ(p.Due(), At(7));
  p.Checked(At(7));
  EXPECT_EQ(p.Due(), At(15));
  p.Checked(At(15));
  EXPECT_EQ(p.Due(), At(25));
  p.Idle();
  EXPECT_FALSE(p.Due());
  p.Started(At(100));  // a new batch starts over from the first wait
  EXPECT_EQ(p.Due(), At(101));
}

TEST_F(PollScheduleTest, WorkStartedWhileABatchIsInFlightJoinsItsNextCheck) {
  PollSchedule p(seconds(3), seconds(10));
  p.Started(At(0));
  p.Checked(At(3));  // next at 3 + 6
  p.Started(At(4));  // its own first moment (7) is before: no call of its own
  EXPECT_EQ(p.Due(), At(9));
}

TEST_F(PollScheduleTest, FirstCheckOfWorkThatStartedEarlier) {
  PollSchedule p(seconds(5), seconds(10));
  EXPECT_EQ(p.FirstCheckOf(At(0)), At(5));
  EXPECT_EQ(PollSchedule(seconds(60), seconds(10)).FirstCheckOf(At(0)), At(10));
}

TEST_F(PollScheduleTest, EarliestBringsTheNextCheckForward) {
  PollSchedule p(seconds(5), seconds(10));
  p.Started(At(0));
  p.Earliest(At(2));  // e.g. a deadline, or adopted work to check at once
  EXPECT_EQ(p.Due(), At(2));
  p.Earliest(At(4));
  EXPECT_EQ(p.Due(), At(2));
  p.Checked(At(2));
  EXPECT_EQ(p.Due(), At(12)) << "2 x 5 s after that check";
}

}  // namespace
}  // namespace fleetpatch::workflow
