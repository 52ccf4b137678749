#include "workflow/progress.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "testing/fake_clock.h"
#include "workflow/interrupt.h"

namespace fleetpatch::workflow {
namespace {

TEST(ProgressTest, LineCountsAndEstimates) {
  testing::FakeClock clock;
  Progress p("patch", 10, {.terminal = false, .quiet = true}, clock, nullptr);
  clock.Advance(std::chrono::seconds(10));
  p.Done();
  p.Done(Progress::Outcome::kFailed);
  EXPECT_EQ(p.Line(), "[patch] 2/10 done, 1 failed, 0 skipped, about 40s left");
}

TEST(ProgressTest, NoEstimateBeforeFivePercentIsDone) {
  testing::FakeClock clock;
  Progress p("patch", 9000, {.terminal = false, .quiet = true}, clock, nullptr);
  clock.Advance(std::chrono::seconds(30));
  p.Done();  // a canary of one
  EXPECT_EQ(p.Line(), "[patch] 1/9000 done, 0 failed, 0 skipped");
  p.Done(Progress::Outcome::kOk, 449);
  EXPECT_EQ(p.Line(), "[patch] 450/9000 done, 0 failed, 0 skipped, about 9m30s left");
}

TEST(ProgressTest, PipedOutputIsRateLimitedPlainLines) {
  testing::FakeClock clock;
  char* buf = nullptr;
  size_t len = 0;
  std::FILE* out = open_memstream(&buf, &len);
  {
    Progress p("scan", 3, {.terminal = false, .quiet = false, .log_interval = std::chrono::seconds(15)},
               clock, out);
    p.Done();
    p.Done();
    clock.Advance(std::chrono::seconds(20));
    p.Done(Progress::Outcome::kSkipped);
  }
  std::fclose(out);
  std::string s(buf, len);
  free(buf);
  EXPECT_EQ(s, "[scan] 3/3 done, 0 failed, 1 skipped\n[scan] 3/3 done, 0 failed, 1 skipped\n");
  EXPECT_EQ(s.find('\r'), std::string::npos);
}

TEST(ProgressTest, Durations) {
  EXPECT_EQ(FormatDuration(std::chrono::seconds(45)), "45s");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(130)), "2m10s");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(7380)), "2h03m");
}

TEST(InterruptTest, FirstSignalSetsTheFlag) {
  InterruptGuard guard;
  EXPECT_FALSE(Interrupted());
  raise(SIGTERM);
  EXPECT_TRUE(Interrupted());
  ClearInterrupt();
  EXPECT_FALSE(Interrupted());
}

}  // namespace
}  // namespace fleetpatch::workflow
