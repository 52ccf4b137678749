#include "workflow/reboot_wait.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

RebootObservation Back() { return {"Online", "running", "ok", "ok"}; }

TEST(RebootWait, BackWhenAgentOnlineAndBothChecksOk) {
  EXPECT_EQ(EvaluateReboot(Back(), seconds(30)).verdict, RebootVerdict::kBack);
  // Even after the timeout: the last look decides.
  EXPECT_EQ(EvaluateReboot(Back(), seconds(5000)).verdict, RebootVerdict::kBack);
}

TEST(RebootWait, WaitsWhileAnyOfTheThreeIsMissing) {
  RebootObservation o = Back();
  o.ping_status = "ConnectionLost";
  auto d = EvaluateReboot(o, seconds(60));
  EXPECT_EQ(d.verdict, RebootVerdict::kWaiting);
  EXPECT_EQ(d.reason, "SSM agent ConnectionLost");
  o = Back();
  o.instance_status = "initializing";
  EXPECT_EQ(EvaluateReboot(o, seconds(60)).reason, "instance status check initializing");
  o = Back();
  o.system_status = "";
  EXPECT_EQ(EvaluateReboot(o, seconds(60)).reason, "system status check unknown");
}

TEST(RebootWait, FailsAtTheTimeoutNamingWhatWasMissing) {
  RebootObservation o{"ConnectionLost", "running", "ok", "impaired"};
  auto d = EvaluateReboot(o, seconds(900), seconds(900));
  EXPECT_EQ(d.verdict, RebootVerdict::kFailed);
  EXPECT_THAT(d.reason, HasSubstr("timeouts.reboot (900 s)"));
  EXPECT_THAT(d.reason, HasSubstr("SSM agent ConnectionLost, instance status check impaired"));
  EXPECT_EQ(EvaluateReboot(o, seconds(899), seconds(900)).verdict, RebootVerdict::kWaiting);
  EXPECT_EQ(kDefaultRebootTimeout, seconds(900));
}

TEST(RebootWait, AStoppedInstanceFailsAtOnce) {
  RebootObservation o{"ConnectionLost", "stopped", "not-applicable", "not-applicable"};
  auto d = EvaluateReboot(o, seconds(1));
  EXPECT_EQ(d.verdict, RebootVerdict::kFailed);
  EXPECT_THAT(d.reason, HasSubstr("stopped"));
  o.instance_state = "pending";
  EXPECT_EQ(EvaluateReboot(o, seconds(1)).verdict, RebootVerdict::kWaiting);
}

}  // namespace
}  // namespace fleetpatch::workflow
