#include "workflow/postcheck_logic.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kGiB = 1024 * 1024;

PrecheckMeasurements Healthy() {
  PrecheckMeasurements m;
  m.disks = {{"/", 20 * kGiB, 10 * kGiB}, {"/data", 100 * kGiB, 50 * kGiB}};
  m.cpus = 2;
  m.load1 = 0.5;
  m.mem_total_kb = 4 * kGiB;
  m.mem_available_kb = 2 * kGiB;
  m.services = {{"sshd", "active"}, {"nginx", "active"}, {"cron", "inactive"}};
  return m;
}

PrecheckThresholds Thresholds() {
  PrecheckThresholds t;
  t.critical_services = {"sshd", "nginx", "cron"};
  return t;
}

PostcheckObservation Online(PrecheckMeasurements after) {
  return {"Online", "ok", "ok", std::move(after), ""};
}

TEST(Postcheck, SameMeasurementsAreHealthy) {
  auto v = ComparePostcheck(Healthy(), Online(Healthy()), Thresholds());
  EXPECT_EQ(v.status, PostcheckStatus::kHealthy);
  EXPECT_TRUE(v.regressions.empty());
  EXPECT_STREQ(PostcheckStatusName(v.status), "healthy");
}

TEST(Postcheck, AServiceThatWasActiveAndIsNotIsARegression) {
  PrecheckMeasurements after = Healthy();
  after.services["nginx"] = "failed";
  after.services["cron"] = "inactive";  // was inactive before: not a regression
  auto v = ComparePostcheck(Healthy(), Online(after), Thresholds());
  EXPECT_EQ(v.status, PostcheckStatus::kDegraded);
  EXPECT_THAT(v.regressions, ElementsAre("service:nginx was active, now failed"));
  after.services.erase("sshd");
  v = ComparePostcheck(Healthy(), Online(after), Thresholds());
  EXPECT_THAT(v.regressions, ElementsAre("service:sshd was active, now not reported",
                                         "service:nginx was active, now failed"));
}

TEST(Postcheck, StatusChecksAndAgentAreEachNamed) {
  PostcheckObservation o = Online(Healthy());
  o.ping_status = "ConnectionLost";
  o.system_status = "impaired";
  o.instance_status = "initializing";
  auto v = ComparePostcheck(Healthy(), o, Thresholds());
  EXPECT_EQ(v.status, PostcheckStatus::kDegraded);
  EXPECT_THAT(v.regressions,
              ElementsAre("SSM agent is ConnectionLost, not Online", "system status check is impaired",
                          "instance status check is initializing"));
}

TEST(Postcheck, ADiskNewlyOutsideItsThresholdIsARegressionAnOldOneIsNot) {
  PrecheckMeasurements before = Healthy();
  before.disks[1].avail_kb = 1 * kGiB;  // /data already at 1% before the patch
  PrecheckMeasurements after = before;
  after.disks[0].avail_kb = kGiB / 2;  // / fell to 2.5% and 0.5 GiB
  auto v = ComparePostcheck(before, Online(after), Thresholds());
  EXPECT_EQ(v.status, PostcheckStatus::kDegraded);
  ASSERT_EQ(v.regressions.size(), 2u);
  EXPECT_THAT(v.regressions[0], HasSubstr("disk_free_gib:/ is 0.5"));
  EXPECT_THAT(v.regressions[1], HasSubstr("disk_free_percent:/ is 2.5%"));
}

TEST(Postcheck, NoMeasurementIsUnreachableWithTheReason) {
  PostcheckObservation o{"ConnectionLost", "ok", "ok", std::nullopt, "the postcheck command timed out"};
  auto v = ComparePostcheck(Healthy(), o, Thresholds());
  EXPECT_EQ(v.status, PostcheckStatus::kUnreachable);
  EXPECT_THAT(v.regressions, ElementsAre("the postcheck command timed out (SSM agent ConnectionLost)"));
}

TEST(Postcheck, WithoutAPrecheckEveryCriticalServiceMustBeActive) {
  PrecheckMeasurements after = Healthy();
  auto v = ComparePostcheck(std::nullopt, Online(after), Thresholds());
  EXPECT_EQ(v.status, PostcheckStatus::kDegraded);  // cron is inactive and nothing says it was before
  EXPECT_THAT(v.regressions, ElementsAre("service:cron was required active, now inactive"));
}

}  // namespace
}  // namespace fleetpatch::workflow
