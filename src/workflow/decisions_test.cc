#include "workflow/decisions.h"

#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

InstanceInfo Running() {
  InstanceInfo i;
  i.instance_id = "i-0abc";
  i.zone = "prod-eu";
  i.state = "running";
  i.platform = "linux";
  i.ssm_ping_status = "Online";
  return i;
}

TEST(EligibilityTest, EachReason) {
  EligibilityRules rules;
  auto i = Running();
  DecideEligibility(i, rules);
  EXPECT_TRUE(i.eligible);
  EXPECT_EQ(i.ineligible_reason, "");

  i = Running();
  i.state = "stopped";
  DecideEligibility(i, rules);
  EXPECT_FALSE(i.eligible);
  EXPECT_EQ(i.ineligible_reason, "instance is stopped (only running instances are patched)");

  i = Running();
  i.tags["fleetpatch:skip"] = "true";
  DecideEligibility(i, rules);
  EXPECT_EQ(i.ineligible_reason, "excluded by tag fleetpatch:skip=true");
  i.tags["fleetpatch:skip"] = "false";
  DecideEligibility(i, rules);
  EXPECT_TRUE(i.eligible);

  i = Running();
  i.platform = "macos";
  DecideEligibility(i, rules);
  EXPECT_EQ(i.ineligible_reason, "unsupported platform 'macos'");

  i = Running();
  i.ssm_ping_status = "";
  DecideEligibility(i, rules);
  EXPECT_EQ(i.ineligible_reason, "SSM agent not registered (no managed instance in Systems Manager)");

  i = Running();
  i.ssm_ping_status = "ConnectionLost";
  DecideEligibility(i, rules);
  EXPECT_EQ(i.ineligible_reason, "SSM agent offline (PingStatus ConnectionLost)");
}

TEST(EligibilityTest, PlatformNormalisation) {
  EXPECT_EQ(NormalisePlatform("", ""), "linux");
  EXPECT_EQ(NormalisePlatform("windows", ""), "windows");
  EXPECT_EQ(NormalisePlatform("Linux/UNIX", ""), "linux");
  EXPECT_EQ(NormalisePlatform("", "Windows"), "windows");
  EXPECT_EQ(NormalisePlatform("", "MacOS"), "macos");
}

TEST(AmiNameTest, DeterministicAndValid) {
  auto i = Running();
  i.zone = "prod <eu> & \"db\"";
  auto t = std::chrono::system_clock::time_point(std::chrono::seconds(1764099720));  // 2025-11-25
  EXPECT_EQ(RenderAmiName("", "20261125-1", i, t), "fleetpatch-i-0abc-20251125-20261125-1");
  EXPECT_EQ(RenderAmiName("{zone}/{date}", "r", i, t), "prod -eu- - -db-/20251125");
  EXPECT_EQ(RenderAmiName(std::string(200, 'a'), "r", i, t).size(), 128u);
}

TEST(ClassifyPatchTest, Verdicts) {
  PatchCounts clean;
  clean.installed = 12;
  PatchResult r;
  ClassifyPatch("Success", clean, r);
  EXPECT_EQ(r.status, PatchStatus::kSuccess);
  EXPECT_EQ(r.installed, 12);

  PatchCounts reboot = clean;
  reboot.installed_pending_reboot = 2;
  reboot.missing = 1;
  ClassifyPatch("Success", reboot, r);
  EXPECT_EQ(r.status, PatchStatus::kPartialSuccess);
  EXPECT_EQ(r.reason, "1 patch(es) still missing; 2 patch(es) installed pending reboot");

  // NoReboot on purpose: a pending reboot alone is its own outcome; with something missing too, or
  // when the reboot was not expected (RebootIfNeeded, or fail_on_pending_reboot), it is not.
  PatchCounts expected = clean;
  expected.installed_pending_reboot = 2;
  expected.pending_reboot_expected = true;
  ClassifyPatch("Success", expected, r);
  EXPECT_EQ(r.status, PatchStatus::kInstalledPendingReboot);
  EXPECT_EQ(r.reason, "2 patch(es) installed, waiting for a reboot (RebootOption NoReboot)");
  expected.missing = 1;
  ClassifyPatch("Success", expected, r);
  EXPECT_EQ(r.status, PatchStatus::kPartialSuccess);
  expected.missing = 0;
  expected.pending_reboot_expected = false;
  ClassifyPatch("Success", expected, r);
  EXPECT_EQ(r.status, PatchStatus::kPartialSuccess);
  EXPECT_STREQ(PatchStatusName(PatchStatus::kInstalledPendingReboot), "installed_pending_reboot");

  PatchCounts failed = clean;
  failed.failed = 3;
  ClassifyPatch("Success", failed, r);
  EXPECT_EQ(r.status, PatchStatus::kFailed);

  ClassifyPatch("Success", std::nullopt, r);
  EXPECT_EQ(r.status, PatchStatus::kPartialSuccess);  // unverifiable is never success
  PatchCounts stale = clean;
  stale.operation_after_command = false;
  ClassifyPatch("Success", stale, r);
  EXPECT_EQ(r.status, PatchStatus::kPartialSuccess);

  ClassifyPatch("Failed", clean, r);
  EXPECT_EQ(r.status, PatchStatus::kFailed);
  ClassifyPatch("TimedOut", std::nullopt, r);
  EXPECT_EQ(r.status, PatchStatus::kTimedOut);
  ClassifyPatch("Cancelled", std::nullopt, r);
  EXPECT_EQ(r.status, PatchStatus::kCancelled);
  ClassifyPatch("DeliveryTimedOut", std::nullopt, r);
  EXPECT_EQ(r.status, PatchStatus::kTimedOut);
}

}  // namespace
}  // namespace fleetpatch::workflow
