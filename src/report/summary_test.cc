#include "report/summary.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "report/report_test_util.h"

namespace fleetpatch::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Summary, CountsEveryPhaseOfTheDemoRun) {
  RunSnapshot snap = testutil::DemoSnapshot();
  RunSummary s = Summarize(snap);
  EXPECT_EQ(s.overall_status, "completed_with_failures");
  EXPECT_EQ(s.instances, 9);
  EXPECT_EQ(s.eligible, 7);
  EXPECT_EQ(s.zones_failed, 1);
  ASSERT_EQ(s.phases_present.size(), 4u);

  const OutcomeCounts& scan = s.phases[0].counts;
  EXPECT_EQ(scan.succeeded, 7);
  EXPECT_EQ(scan.skipped, 2);
  const OutcomeCounts& backup = s.phases[1].counts;
  EXPECT_EQ(backup.succeeded, 5);
  EXPECT_EQ(backup.failed, 2);   // failed + timed out
  EXPECT_EQ(backup.not_run, 2);  // the two ineligible instances
  EXPECT_EQ(s.phases[1].by_status.at("timed_out"), 1);
  const OutcomeCounts& pre = s.phases[2].counts;
  EXPECT_EQ(pre.succeeded, 4);
  EXPECT_EQ(pre.failed, 2);  // not_ready + unreachable
  EXPECT_EQ(pre.not_run, 3);
  const OutcomeCounts& patch = s.phases[3].counts;
  EXPECT_EQ(patch.succeeded, 1);
  EXPECT_EQ(patch.failed, 2);  // timed out + partial success
  EXPECT_EQ(patch.skipped, 3);
  EXPECT_EQ(patch.pending, 1);
  EXPECT_EQ(patch.not_run, 2);
  for (const auto& p : s.phases) EXPECT_EQ(p.counts.total(), 9);

  EXPECT_EQ(s.overall.succeeded, 1);
  EXPECT_EQ(s.overall.failed, 5);
  EXPECT_EQ(s.overall.skipped, 2);
  EXPECT_EQ(s.overall.pending, 1);
}

TEST(Summary, ZonesIncludeTheFailedZoneAndPerZoneCounts) {
  RunSummary s = Summarize(testutil::DemoSnapshot());
  ASSERT_EQ(s.zones.size(), 3u);
  EXPECT_EQ(s.zones[0].zone, "prod-eu");
  EXPECT_EQ(s.zones[0].instances, 5);
  EXPECT_EQ(s.zones[0].eligible, 4);
  EXPECT_EQ(s.zones[1].instances, 4);
  EXPECT_EQ(s.zones[2].zone, "legacy");
  EXPECT_EQ(s.zones[2].instances, 0);
  EXPECT_EQ(s.zones[2].error.code, "AccessDenied");
  EXPECT_TRUE(s.zones[2].HasFailures());
  EXPECT_TRUE(s.zones[0].HasFailures());
}

TEST(Summary, ErrorListHasZoneErrorsFirstThenEveryInstanceFailure) {
  RunSummary s = Summarize(testutil::DemoSnapshot());
  ASSERT_EQ(s.errors.size(), 8u);
  EXPECT_EQ(s.errors[0].phase, "zone");
  EXPECT_EQ(s.errors[0].zone, "legacy");
  EXPECT_EQ(s.errors[0].problem.category, "authentication");
  // Synthesised from the status when the phase recorded no error, with the failed thresholds.
  EXPECT_EQ(s.errors[1].instance_id, "i-0a1b2c3d4e5f60002");
  EXPECT_EQ(s.errors[1].phase, "precheck");
  EXPECT_EQ(s.errors[1].problem.code, "PrecheckNotReady");
  EXPECT_EQ(s.errors[1].problem.category, "validation");
  EXPECT_THAT(s.errors[1].problem.message, HasSubstr("4.2%"));
  EXPECT_EQ(s.errors[2].problem.code, "InvalidParameterValue");  // recorded error kept as is
  EXPECT_EQ(s.errors[3].problem.code, "BackupTimedOut");
  EXPECT_EQ(s.errors[3].problem.category, "timeout");
  EXPECT_EQ(s.errors[4].problem.code, "PatchTimedOut");
  EXPECT_EQ(s.errors[5].problem.code, "PatchPartialSuccess");
  EXPECT_THAT(s.errors[5].problem.message, HasSubstr("KB5031364"));
  EXPECT_EQ(s.errors[6].phase, "postcheck");  // the same instance's degraded postcheck, each regression named
  EXPECT_EQ(s.errors[6].problem.code, "PostcheckDegraded");
  EXPECT_EQ(s.errors[6].problem.category, "instance");
  EXPECT_EQ(s.errors[6].problem.message,
            "service:<b>nginx</b> was active, now failed; instance status check is impaired");
  EXPECT_EQ(s.errors[7].problem.code, "PrecheckUnreachable");
  EXPECT_EQ(s.errors[7].problem.category, "connectivity");
}

TEST(Summary, AnErrorLineNamesTheFirstFiveFailedChecksAndCountsTheRest) {
  RunSnapshot snap = testutil::DemoSnapshot();
  InstanceRun* not_ready = nullptr;
  for (auto& i : snap.instances) {
    if (i.precheck && i.precheck->status == PrecheckStatus::kNotReady) not_ready = &i;
  }
  ASSERT_NE(not_ready, nullptr);
  not_ready->precheck->reasons.clear();
  for (int k = 1; k <= 80; ++k) {
    not_ready->precheck->reasons.push_back(
        fmt::format("disk_free_gib:/data{:02} is 0.5 GiB (required >= 1.0 GiB)", k));
  }
  RunSummary s = Summarize(snap);
  const ErrorEntry* e = nullptr;
  for (const ErrorEntry& x : s.errors) {
    if (x.instance_id == not_ready->info.instance_id && x.phase == "precheck") e = &x;
  }
  ASSERT_NE(e, nullptr);
  EXPECT_THAT(e->problem.message, HasSubstr("/data05 is 0.5 GiB"));
  EXPECT_THAT(e->problem.message, Not(HasSubstr("/data06")));
  EXPECT_THAT(e->problem.message, HasSubstr("; and 75 more"));
}

TEST(Summary, ScanOnlyRunHasOnlyTheScanPhase) {
  RunSnapshot snap = testutil::DemoSnapshot();
  for (auto& i : snap.instances)
    i.backup.reset(), i.precheck.reset(), i.patch.reset(), i.postcheck.reset(), i.rollback.reset();
  snap.run.workflow = "scan";
  RunSummary s = Summarize(snap);
  ASSERT_EQ(s.phases_present.size(), 1u);
  EXPECT_EQ(s.phases_present[0], Phase::kScan);
  EXPECT_EQ(s.errors.size(), 1u);  // only the zone
  EXPECT_EQ(s.overall.succeeded, 7);
  EXPECT_EQ(s.overall.skipped, 2);
}

TEST(Summary, InterruptedRunCountsUnfinishedPhasesAsNotRun) {
  RunSnapshot snap = testutil::DemoSnapshot();
  snap.run.status = RunStatus::kInterrupted;
  snap.instances[0].patch.reset();
  RunSummary s = Summarize(snap);
  EXPECT_EQ(s.overall_status, "interrupted");
  EXPECT_EQ(PhaseOutcome(snap.instances[0], Phase::kPatch), Outcome::kNotRun);
  EXPECT_EQ(InstanceOutcome(snap.instances[0], s.phases_present), Outcome::kNotRun);
}

// What fleetpatch left in Standby or suspended is listed once, in snapshot order; what it
// restored is not.
TEST(Summary, ListsWhatIsLeftInStandbyOrSuspended) {
  RunSnapshot snap = testutil::DemoSnapshotWithStandby();
  RunSummary s = Summarize(snap);
  ASSERT_EQ(s.auto_scaling_left.size(), 3u);
  EXPECT_EQ(s.auto_scaling_left[0].instance_id, snap.instances[0].info.instance_id);
  EXPECT_EQ(s.auto_scaling_left[0].status, "in_standby");
  EXPECT_EQ(s.auto_scaling_left[1].status, "left_in_standby");
  EXPECT_EQ(s.auto_scaling_left[2].status, "group_suspended");
  EXPECT_EQ(s.auto_scaling_left[2].group, "api-asg");
  const std::string text = FormatSummaryText(snap, s);
  EXPECT_THAT(text, HasSubstr("3 instance(s) left in Standby or with their Auto Scaling group suspended"));
  EXPECT_THAT(text, HasSubstr(snap.instances[0].info.instance_id + ": in_standby in web-asg"));
  EXPECT_TRUE(Summarize(testutil::DemoSnapshot()).auto_scaling_left.empty());
  EXPECT_THAT(FormatSummaryText(testutil::DemoSnapshot(), Summarize(testutil::DemoSnapshot())),
              Not(HasSubstr("left in Standby")));
}

TEST(Summary, ListsTheInstancesRolledBack) {
  RunSummary s = Summarize(testutil::DemoSnapshot());
  EXPECT_EQ(s.rolled_back, (std::vector<std::string>{"i-0b1b2c3d4e5f60006"}));
  EXPECT_TRUE(s.rollback_failed.empty());
}

TEST(Summary, EmptyRun) {
  RunSnapshot snap;
  snap.run.run_id = "r";
  RunSummary s = Summarize(snap);
  EXPECT_EQ(s.instances, 0);
  EXPECT_TRUE(s.phases_present.empty());
  EXPECT_FALSE(s.HasFailures());
  EXPECT_THAT(FormatSummaryText(snap, s), HasSubstr("0 instance(s)"));
}

// NoReboot chosen on purpose: installed-pending-reboot is counted as its own status, succeeds the
// phase and is no error; a partial success stays a failure, filed as the instance's outcome, not
// as an AWS error.
TEST(Summary, InstalledPendingRebootIsItsOwnStatusAndNoError) {
  RunSnapshot snap = testutil::DemoSnapshot();
  InstanceRun* ok = nullptr;
  for (auto& i : snap.instances) {
    if (i.patch && i.patch->status == PatchStatus::kSuccess) ok = &i;
  }
  ASSERT_NE(ok, nullptr);
  ok->patch->status = PatchStatus::kInstalledPendingReboot;
  ok->patch->reason = "2 patch(es) installed, waiting for a reboot (RebootOption NoReboot)";
  RunSummary s = Summarize(snap);
  EXPECT_EQ(s.phases[3].counts.succeeded, 1);
  EXPECT_EQ(s.phases[3].by_status.at("installed_pending_reboot"), 1);
  for (const ErrorEntry& e : s.errors) {
    EXPECT_NE(e.instance_id, ok->info.instance_id);
    if (e.problem.code == "PatchPartialSuccess" || e.problem.code == "PatchFailed") {
      EXPECT_EQ(e.problem.category, "instance");
    }
  }
  EXPECT_THAT(FormatSummaryText(snap, s), HasSubstr("(1 of them installed, pending reboot)"));
}

TEST(FormatSummaryText, ListsPhasesAndErrorsWithoutTerminalEscapes) {
  RunSnapshot snap = testutil::DemoSnapshot();
  snap.instances[2].backup->error.message = "bad\x1b[2J\nclear screen";
  std::string text = FormatSummaryText(snap, Summarize(snap));
  EXPECT_THAT(text, HasSubstr("Run 20261125-194200-a1b2c3 (full): completed_with_failures"));
  EXPECT_THAT(text, HasSubstr("9 instance(s) in 3 landing zone(s), 7 eligible, 1 zone(s) failed"));
  EXPECT_THAT(text, HasSubstr("patch     1 succeeded, 2 failed, 3 skipped, 1 pending, 2 not run"));
  EXPECT_THAT(text, HasSubstr("8 error(s)"));
  EXPECT_THAT(text, HasSubstr("  postcheck 1 degraded, 1 healthy\n  rollback  1 rolled_back\n"));
  EXPECT_THAT(text,
              HasSubstr("[instance] prod-us / postcheck / i-0b1b2c3d4e5f60006: PostcheckDegraded: service:"));
  EXPECT_THAT(text, HasSubstr("[authentication] legacy / zone: AccessDenied: cannot assume role"));
  EXPECT_THAT(text,
              HasSubstr("[timeout] prod-eu / patch / i-0a1b2c3d4e5f60005: PatchTimedOut: the patch command"));
  EXPECT_THAT(text, Not(HasSubstr("\x1b")));
  EXPECT_THAT(text, Not(HasSubstr("\nclear screen")));
}

}  // namespace
}  // namespace fleetpatch::report
