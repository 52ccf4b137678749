#include "workflow/compliance.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "testing/fake_clock.h"
#include "workflow/fake_zone_api_for_test.h"

namespace fleetpatch::workflow {
namespace {

using ::testing::HasSubstr;
using SysClock = std::chrono::system_clock;

SysClock::time_point Now() {
  SysClock::time_point t;
  ParseIso8601("2026-12-04T12:00:00Z", &t);
  return t;
}

double DaysAgo(double d) {
  return std::chrono::duration<double>((Now() - std::chrono::duration_cast<SysClock::duration>(
                                                    std::chrono::duration<double>(d * 86400)))
                                           .time_since_epoch())
      .count();
}

ComplianceRow Row(std::optional<PatchStateView> state) {
  ComplianceRow r;
  r.zone = "prod";
  r.account_id = "111122223333";
  r.instance.instance_id = "i-1";
  r.instance.platform_type = "Linux";
  r.state = std::move(state);
  ClassifyCompliance(r, {30}, Now());
  return r;
}

PatchStateView Installed(double days_ago) {
  PatchStateView s;
  s.instance_id = "i-1";
  s.operation = "Install";
  s.installed = 100;
  s.operation_end_time_s = DaysAgo(days_ago);
  return s;
}

TEST(ComplianceTest, ParsesChecksAndNamesTheBadWord) {
  auto ok = ParseComplianceChecks("missing,reboot,missing");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2u);
  auto bad = ParseComplianceChecks("missing,rebot");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(bad.error().message, HasSubstr("'rebot'"));
  EXPECT_THAT(bad.error().message, HasSubstr("allowed: missing, failed, reboot, stale"));
}

TEST(ComplianceTest, ClassifiesEachCase) {
  EXPECT_EQ(Row(Installed(2)).status, "compliant");
  EXPECT_FALSE(Row(Installed(2)).stale);
  EXPECT_NEAR(Row(Installed(2)).age_days, 2.0, 0.01);

  EXPECT_EQ(Row(std::nullopt).status, "never_scanned");
  EXPECT_TRUE(Row(std::nullopt).stale) << "never scanned has had no Install either";

  PatchStateView missing = Installed(1);
  missing.missing = 3;
  EXPECT_EQ(Row(missing).status, "missing");

  PatchStateView failed = Installed(1);
  failed.failed = 1;
  failed.missing = 2;
  EXPECT_EQ(Row(failed).status, "failed") << "the worst status wins";

  PatchStateView reboot = Installed(1);
  reboot.installed_pending_reboot = 4;
  reboot.last_no_reboot_install_s = DaysAgo(9);
  ComplianceRow r = Row(reboot);
  EXPECT_EQ(r.status, "reboot_pending");
  EXPECT_TRUE(r.reboot_debt);
  EXPECT_EQ(r.reboot_since, "2026-11-25T12:00:00Z");

  EXPECT_EQ(Row(Installed(31)).status, "stale");
  PatchStateView scanned = Installed(1);
  scanned.operation = "Scan";
  EXPECT_TRUE(Row(scanned).stale) << "a recent Scan is no Install";
}

TEST(ComplianceTest, FailOnMatchesOnlyTheNamedChecks) {
  PatchStateView reboot = Installed(1);
  reboot.installed_pending_reboot = 1;
  ComplianceRow r = Row(reboot);
  EXPECT_FALSE(FailsCompliance(r, {ComplianceCheck::kMissing, ComplianceCheck::kStale}));
  EXPECT_TRUE(FailsCompliance(r, {ComplianceCheck::kReboot}));
  EXPECT_FALSE(FailsCompliance(r, {}));
}

TEST(ComplianceTest, CollectsWithOnePatchStateCallPerFiftyInstances) {
  fleetpatch::testing::FakeClock clock;
  testing::FakeZoneApi api(clock);
  for (int i = 0; i < 120; ++i) {
    testing::FakeInstance f;
    f.ec2.instance_id = "i-" + std::to_string(1000 + i);
    f.ec2.state = "running";
    f.ssm = SsmInstanceView{f.ec2.instance_id, "Online", i % 2 ? "Windows" : "Linux", "", "3.3.0.0"};
    api.Add(f);
  }
  LandingZoneInfo zone{"prod", "111122223333", "eu-west-1", "", {}};
  std::vector<ComplianceRow> rows;
  std::vector<int> patch_state_calls_at_row;  // rows are handed over batch by batch, not at the end
  Status st = CollectCompliance(api, zone, {30}, Now(), [&](const ComplianceRow& r) {
    rows.push_back(r);
    patch_state_calls_at_row.push_back(api.Calls("DescribeInstancePatchStates"));
  });
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  ASSERT_EQ(rows.size(), 120u);
  EXPECT_EQ(api.Calls("DescribeInstanceInformation"), 1);
  EXPECT_EQ(api.Calls("DescribeInstancePatchStates"), 3);
  EXPECT_EQ(patch_state_calls_at_row[0], 1);
  EXPECT_EQ(patch_state_calls_at_row[50], 2);
  EXPECT_EQ(patch_state_calls_at_row[119], 3);
  EXPECT_EQ(rows[0].status, "never_scanned");
  EXPECT_EQ(rows[0].region, "eu-west-1");
  EXPECT_EQ(rows[119].instance.instance_id, "i-1119");
}

TEST(ComplianceTest, MergingPartsGivesTheReportOfAllRowsAtOnce) {
  PatchStateView a = Installed(1);
  a.patch_group = "web";
  PatchStateView b = Installed(1);
  b.missing = 2;
  std::vector<ComplianceRow> rows = {Row(a), Row(b), Row(std::nullopt), Row(a)};
  rows[1].zone = "aaa";
  rows[2].instance.platform_type = "Windows";
  rows[3].instance.instance_id = "i-0";
  const std::vector<ComplianceCheck> checks = {ComplianceCheck::kMissing, ComplianceCheck::kStale};
  ComplianceReportBuilder whole(checks), merged(checks), first(checks), second(checks);
  for (const auto& r : rows) whole.Add(r);
  first.Add(rows[0]);
  first.Add(rows[1]);
  second.Add(rows[2]);
  second.Add(rows[3]);
  merged.Merge(std::move(first));
  merged.Merge(std::move(second));
  EXPECT_TRUE(merged.failing());
  auto a_rep = whole.Finish({}, "t");
  auto b_rep = merged.Finish({}, "t");
  std::ostringstream a_json, b_json;
  ASSERT_TRUE(report::WriteTableJson(a_rep, a_json).ok());
  ASSERT_TRUE(report::WriteTableJson(b_rep, b_json).ok());
  EXPECT_EQ(a_json.str(), b_json.str());
  EXPECT_THAT(a_json.str(), HasSubstr("\"instances\": 4"));
}

TEST(ComplianceTest, ReportRowsAreSortedByZoneThenInstanceAndTiesKeepTheirOrder) {
  std::vector<std::pair<std::string, std::string>> keys = {{"ab", "i-1"}, {"a", "i-9"},  {"a-b", "i-1"},
                                                           {"a", "i-10"}, {"ab", "i-0"}, {"a", "i-9"},
                                                           {"", "i-5"},   {"a", "i-9"}};
  std::vector<ComplianceRow> rows;
  for (size_t i = 0; i < keys.size(); ++i) {
    ComplianceRow r = Row(i % 2 ? std::optional<PatchStateView>(Installed(1)) : std::nullopt);
    r.zone = keys[i].first;
    r.instance.instance_id = keys[i].second;
    r.account_id = std::to_string(i);  // tells equal keys apart
    rows.push_back(r);
  }
  auto rep = ComplianceReport(rows, {}, {}, "t");
  std::vector<std::string> got;
  for (const auto& row : rep.rows)
    got.push_back(row.cells[0].get<std::string>() + "/" + row.cells[3].get<std::string>() + "#" +
                  row.cells[1].get<std::string>());
  EXPECT_EQ(got, (std::vector<std::string>{"/i-5#6", "a/i-10#3", "a/i-9#1", "a/i-9#5", "a/i-9#7", "a-b/i-1#2",
                                           "ab/i-0#4", "ab/i-1#0"}));
}

TEST(ComplianceTest, ReportSummarisesByZoneAccountPlatformAndPatchGroup) {
  PatchStateView a = Installed(1);
  a.patch_group = "web";
  PatchStateView b = Installed(1);
  b.patch_group = "web";
  b.missing = 2;
  std::vector<ComplianceRow> rows = {Row(a), Row(b), Row(std::nullopt)};
  rows[2].instance.platform_type = "Windows";
  auto rep = ComplianceReport(rows, {ComplianceCheck::kMissing}, {"landing zone 'x': denied"},
                              "2026-12-04T12:00:00Z");
  ASSERT_EQ(rep.summaries.size(), 4u);
  EXPECT_EQ(rep.summaries[2].key, "by_platform");
  ASSERT_EQ(rep.summaries[2].rows.size(), 2u);
  EXPECT_EQ(rep.summaries[2].rows[0].cells[0], "Linux");
  EXPECT_EQ(rep.summaries[2].rows[0].cells[1], 2);
  EXPECT_EQ(rep.summaries[3].rows[1].cells[0], "web");
  EXPECT_EQ(rep.summaries[3].rows[1].cells[3], 1) << "one of the web group misses patches";
  EXPECT_TRUE(rep.rows[0].flag.empty());
  EXPECT_THAT(rep.rows[1].flag, HasSubstr("missing"));
  bool has_error = false;
  for (const auto& [k, v] : rep.facts) has_error |= k == "zone_error_1";
  EXPECT_TRUE(has_error);
}

}  // namespace
}  // namespace fleetpatch::workflow
