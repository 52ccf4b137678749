// The postcheck (postcheck.h) and the rollback (rollback.h) through Workflow, against the fake
// zone: each regression named, resumable, and a root volume replaced only from a verified AMI of
// this run, once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "state/peak_read_store_for_test.h"
#include "state/run_id.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"
#include "workflow/fake_zone_api_for_test.h"
#include "workflow/interrupt.h"
#include "workflow/rollback_logic.h"

namespace fleetpatch::workflow {
namespace {

using testing::FakeInstance;
using testing::FakeZoneApi;
using ::testing::HasSubstr;

// The healthy precheck line with sshd in `sshd_state` and / at `avail_kb` free of 20 GiB.
std::string Output(const std::string& sshd_state, int64_t avail_kb = 10485760) {
  return "FLEETPATCH_PRECHECK_V1 {\"disks\":[{\"mount\":\"/\",\"size_kb\":20971520,\"avail_kb\":" +
         std::to_string(avail_kb) +
         "}],\"cpus\":2,\"load1\":0.2,\"mem_total_kb\":4000000,\"mem_available_kb\":3000000,"
         "\"services\":{\"sshd\":\"" +
         sshd_state + "\"},\"reboot_required\":false,\"pkg_lock\":false}\n";
}

FakeInstance Linux(const std::string& id) {
  FakeInstance i = testing::HealthyLinux(id);
  i.ec2.root_device_type = "ebs";
  i.restored_output = Output("active");
  return i;
}

class SafetyLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearInterrupt();
    auto s = state::SqliteStateStore::Open((dir_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    options_.poll_interval = std::chrono::seconds(10);
    options_.ssm_timeout = std::chrono::seconds(60);
    options_.linux_thresholds.critical_services = {"sshd"};
    api_ = std::make_shared<FakeZoneApi>(clock_);
    connector_.zones["prod-a"] = api_;
    ZoneSpec z;
    z.info = {"prod-a", "111111111111", "eu-west-1", "arn:aws:iam::111111111111:role/Patch", {}};
    z.tag_filters = {{"Patch", {"yes"}}};
    zones_.push_back(z);
    for (const char* id : {"i-ok", "i-svc", "i-impaired", "i-lost", "i-disk", "i-store"})
      api_->Add(Linux(id));
    api_->Set("i-store", [](FakeInstance& i) { i.ec2.root_device_type = "instance-store"; });
  }

  std::unique_ptr<Workflow> Make() {
    return std::make_unique<Workflow>(options_, *store_, connector_, clock_,
                                      Progress::Options{.quiet = true});
  }
  // Scan, backup, precheck and patch of a new run; then each instance's health changes as the
  // test's `after` says. Returns the run id.
  std::string Patched() {
    RunInfo run;
    run.run_id = state::NewRunId(clock_);
    run.workflow = "full";
    EXPECT_TRUE(store_->CreateRun(run).ok());
    auto wf = Make();
    EXPECT_TRUE(wf->Scan(run.run_id, zones_).ok());
    EXPECT_TRUE(wf->Backup(run.run_id, zones_).ok());
    EXPECT_TRUE(wf->Precheck(run.run_id, zones_).ok());
    auto p = wf->Patch(run.run_id, zones_);
    EXPECT_TRUE(p.ok() && p->succeeded == 6) << (p.ok() ? "" : p.error().message);
    api_->Set("i-svc", [](FakeInstance& i) { i.precheck_output = Output("failed"); });
    api_->Set("i-store", [](FakeInstance& i) { i.precheck_output = Output("failed"); });
    api_->Set("i-impaired", [](FakeInstance& i) { i.instance_status = "impaired"; });
    api_->Set("i-lost", [](FakeInstance& i) { i.ssm->ping_status = "ConnectionLost"; });
    api_->Set("i-disk", [](FakeInstance& i) { i.precheck_output = Output("active", 100); });
    return run.run_id;
  }
  // A run of `n` instances i-0 .. i-(n-1) that were patched and checked (as a full run's pipeline
  // leaves them), then i-ok patched but not checked yet and i-unpatched eligible but not patched.
  std::string CheckedRun(size_t n) {
    RunInfo run;
    run.run_id = state::NewRunId(clock_);
    run.workflow = "full";
    EXPECT_TRUE(store_->CreateRun(run).ok());
    std::vector<InstanceInfo> infos;
    std::vector<state::PatchUpdate> patches;
    std::vector<state::PostcheckUpdate> checks;
    PatchResult patched;
    patched.status = PatchStatus::kSuccess;
    PostcheckResult healthy;
    healthy.status = PostcheckStatus::kHealthy;
    for (size_t k = 0; k < n + 2; ++k) {
      InstanceInfo i;
      i.zone = "prod-a";
      i.account_id = "111111111111";
      i.region = "eu-west-1";
      i.instance_id = k < n ? "i-" + std::to_string(k) : k == n ? "i-ok" : "i-unpatched";
      i.platform = "linux";
      i.state = "running";
      i.eligible = true;
      infos.push_back(i);
      if (k <= n) patches.push_back({i.zone, i.instance_id, patched});
      if (k < n) checks.push_back({i.zone, i.instance_id, healthy});
    }
    EXPECT_TRUE(store_->SaveInstances(run.run_id, infos).ok());
    EXPECT_TRUE(store_->SavePatches(run.run_id, patches).ok());
    EXPECT_TRUE(store_->SavePostchecks(run.run_id, checks).ok());
    EXPECT_TRUE(store_->MarkPhaseCompleted(run.run_id, Phase::kPatch).ok());
    return run.run_id;
  }
  std::map<std::string, InstanceRun> ById(const std::string& run) {
    std::map<std::string, InstanceRun> out;
    auto all = store_->QueryInstances(run, {});
    EXPECT_TRUE(all.ok());
    if (all.ok())
      for (auto& r : *all) out[r.info.instance_id] = r;
    return out;
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::unique_ptr<state::SqliteStateStore> store_;
  WorkflowOptions options_;
  fleetpatch::workflow::testing::FakeConnector connector_;
  std::shared_ptr<FakeZoneApi> api_;
  std::vector<ZoneSpec> zones_;
};

TEST_F(SafetyLoopTest, PostcheckNamesEachRegression) {
  const std::string run = Patched();
  auto s = Make()->Postcheck(run, zones_);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->healthy, 1);
  EXPECT_EQ(s->degraded, 4);
  EXPECT_EQ(s->unreachable, 1);
  auto all = ById(run);
  auto regressions = [&](const std::string& id) { return all[id].postcheck->regressions; };
  for (const char* id : {"i-ok", "i-svc", "i-impaired", "i-lost", "i-disk", "i-store"})
    ASSERT_TRUE(all[id].postcheck) << id;
  EXPECT_EQ(all["i-ok"].postcheck->status, PostcheckStatus::kHealthy);
  EXPECT_TRUE(regressions("i-ok").empty());
  EXPECT_EQ(all["i-svc"].postcheck->status, PostcheckStatus::kDegraded);
  EXPECT_EQ(regressions("i-svc"), std::vector<std::string>{"service:sshd was active, now failed"});
  EXPECT_EQ(regressions("i-impaired"), std::vector<std::string>{"instance status check is impaired"});
  ASSERT_GE(regressions("i-disk").size(), 1u);
  EXPECT_THAT(regressions("i-disk")[0], HasSubstr("disk"));
  EXPECT_EQ(all["i-lost"].postcheck->status, PostcheckStatus::kUnreachable);
  EXPECT_THAT(regressions("i-lost")[0], HasSubstr("SSM agent not Online after 60 s"));
  EXPECT_THAT(regressions("i-lost")[0], HasSubstr("ConnectionLost"));
  EXPECT_FALSE(all["i-ok"].postcheck->command_id.empty());
}

TEST_F(SafetyLoopTest, PostcheckIsNotRepeatedAndNeedsAPatch) {
  const std::string run = Patched();
  ASSERT_TRUE(Make()->Postcheck(run, zones_).ok());
  const int sent = api_->Calls("SendCommand");
  auto again = Make()->Postcheck(run, zones_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->healthy + again->degraded + again->unreachable, 0);
  EXPECT_EQ(api_->Calls("SendCommand"), sent);

  RunInfo fresh;
  fresh.run_id = "20261204-000000-aaaaaa";
  ASSERT_TRUE(store_->CreateRun(fresh).ok());
  auto none = Make()->Postcheck(fresh.run_id, zones_);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error().message, HasSubstr("run `--workflow patch` before `--workflow postcheck`"));
}

TEST_F(SafetyLoopTest, AutomaticRollbackRestoresTheDegradedAndTouchesNothingElse) {
  const std::string run = Patched();
  ASSERT_TRUE(Make()->Postcheck(run, zones_).ok());
  RollbackRequest automatic;
  automatic.automatic = true;
  auto s = Make()->Rollback(run, zones_, automatic);
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto all = ById(run);
  EXPECT_FALSE(all["i-ok"].rollback.has_value());
  ASSERT_TRUE(all["i-svc"].rollback);
  const RollbackResult& rb = *all["i-svc"].rollback;
  EXPECT_EQ(rb.status, RollbackStatus::kRolledBack);
  EXPECT_EQ(rb.ami_id, all["i-svc"].backup->ami_id);
  EXPECT_FALSE(rb.task_id.empty());
  EXPECT_EQ(rb.task_state, "succeeded");
  EXPECT_TRUE(rb.automatic);
  EXPECT_EQ(rb.postcheck, "healthy");
  EXPECT_THAT(rb.reason, HasSubstr("postcheck degraded: service:sshd was active, now failed"));
  ASSERT_TRUE(all["i-store"].rollback);
  EXPECT_EQ(all["i-store"].rollback->status, RollbackStatus::kUnsupported);
  EXPECT_THAT(all["i-store"].rollback->reason, HasSubstr("instance store"));
  EXPECT_EQ(all["i-lost"].rollback->status, RollbackStatus::kRolledBack);  // unreachable is rolled back too
  // One replacement per rolled-back instance: i-svc, i-impaired, i-lost, i-disk (not i-store, not i-ok).
  EXPECT_EQ(api_->Calls("CreateReplaceRootVolumeTask"), 4);
  EXPECT_EQ(s->rolled_back, 4);
  EXPECT_EQ(s->rollback_failed, 1);
}

TEST_F(SafetyLoopTest, AResumedRollbackWatchesItsTaskAndNeverStartsAnother) {
  const std::string run = Patched();
  ASSERT_TRUE(Make()->Postcheck(run, zones_).ok());
  // An earlier attempt started i-svc's replacement, recorded it and was killed during the wait.
  auto before = ById(run)["i-svc"];
  api_->Set("i-svc", [](FakeInstance& i) { i.replace_polls = 2; });
  auto task = api_->CreateReplaceRootVolumeTask("i-svc", before.backup->ami_id, false,
                                                ReplaceRootClientToken(run, "i-svc"));
  ASSERT_TRUE(task.ok());
  RollbackResult flying;
  flying.status = RollbackStatus::kInProgress;
  flying.ami_id = before.backup->ami_id;
  flying.task_id = task->task_id;
  flying.reason = "postcheck degraded";
  ASSERT_TRUE(store_->SaveRollback(run, "prod-a", "i-svc", flying).ok());

  RollbackRequest only;
  only.instance_ids = {"i-svc"};
  auto s = Make()->Rollback(run, zones_, only);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(api_->Calls("CreateReplaceRootVolumeTask"), 1);
  auto after = ById(run)["i-svc"];
  ASSERT_TRUE(after.rollback);
  EXPECT_EQ(after.rollback->status, RollbackStatus::kRolledBack);
  EXPECT_EQ(after.rollback->task_id, task->task_id);
  EXPECT_GE(api_->Calls("DescribeReplaceRootVolumeTasks"), 3);
}

TEST_F(SafetyLoopTest, NoRollbackWithoutAVerifiedAmiOfThisRun) {
  const std::string run = Patched();
  ASSERT_TRUE(Make()->Postcheck(run, zones_).ok());
  // i-svc's backup record now points at an AMI another account owns (same name, tags and source).
  InstanceRun svc = ById(run)["i-svc"];
  ImageView planted;
  planted.image_id = "ami-planted";
  planted.name = svc.backup->ami_name;
  planted.state = "available";
  planted.owner_id = "999999999999";
  planted.source_instance_id = "i-svc";
  planted.snapshot_ids = {"snap-planted"};
  planted.tags = {{"fleetpatch:run-id", run}};
  api_->AddImage(planted);
  BackupResult b = *svc.backup;
  b.ami_id = "ami-planted";
  ASSERT_TRUE(store_->SaveBackup(run, "prod-a", "i-svc", b).ok());

  RollbackRequest only;
  only.instance_ids = {"i-svc"};
  auto s = Make()->Rollback(run, zones_, only);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(api_->Calls("CreateReplaceRootVolumeTask"), 0);
  auto after = ById(run)["i-svc"];
  ASSERT_TRUE(after.rollback);
  EXPECT_EQ(after.rollback->status, RollbackStatus::kIneligible);
  EXPECT_THAT(after.rollback->reason, HasSubstr("its owner is 999999999999"));

  RollbackRequest unknown;
  unknown.instance_ids = {"i-nope"};
  EXPECT_FALSE(Make()->Rollback(run, zones_, unknown).ok());
}

TEST_F(SafetyLoopTest, ADryRunVerifiesAndPlansOnly) {
  const std::string run = Patched();
  ASSERT_TRUE(Make()->Postcheck(run, zones_).ok());
  options_.dry_run = true;
  auto wf = Make();
  RollbackRequest only;
  only.instance_ids = {"i-svc"};
  ASSERT_TRUE(wf->Rollback(run, zones_, only).ok());
  EXPECT_EQ(api_->Calls("CreateReplaceRootVolumeTask"), 0);
  ASSERT_EQ(wf->Plan().size(), 1u);
  EXPECT_THAT(wf->Plan()[0], HasSubstr("would replace the root volume of i-svc"));
  EXPECT_FALSE(ById(run)["i-svc"].rollback.has_value());
}

// After a full run's pipeline nearly every patched instance is checked already: the run-wide
// postcheck, automatic rollback and standby settling read the run a batch at a time and hold only
// what they act on, never every record with its details at once (at 10,000 instances that was the
// run's peak memory, docs/pipeline.md "Memory").
TEST_F(SafetyLoopTest, PassesAfterTheRolloutReadTheRunInBatches) {
  const size_t batch = state::StateStore::kSelectBatch;
  const std::string run = CheckedRun(batch + 100);
  state::PeakReadStore store(*store_);
  Workflow wf(options_, store, connector_, clock_, Progress::Options{.quiet = true});
  auto checked = wf.Postcheck(run, zones_);
  ASSERT_TRUE(checked.ok()) << checked.error().message;
  EXPECT_EQ(checked->healthy + checked->degraded + checked->unreachable, 1) << "i-ok only";
  EXPECT_TRUE(ById(run)["i-ok"].postcheck.has_value());
  EXPECT_LE(store.largest_read(), batch);

  store.ResetPeak();
  RollbackRequest automatic;
  automatic.automatic = true;
  auto rolled = wf.Rollback(run, zones_, automatic);
  ASSERT_TRUE(rolled.ok()) << rolled.error().message;
  EXPECT_EQ(rolled->rolled_back + rolled->rollback_failed, 0);
  EXPECT_LE(store.largest_read(), batch);
  RollbackRequest named;
  named.instance_ids = {"i-unpatched"};
  auto refused = wf.Rollback(run, zones_, named);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("instance i-unpatched was not patched in run " + run));
  named.instance_ids = {"i-0", "i-nope"};
  refused = wf.Rollback(run, zones_, named);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message,
              HasSubstr("instance i-nope is not an eligible instance of run " + run));

  store.ResetPeak();
  ASSERT_TRUE(wf.SettleStandby(run, zones_).ok());
  EXPECT_LE(store.largest_read(), batch);
  EXPECT_EQ(api_->Calls("CreateReplaceRootVolumeTask"), 0);
}

// In a full (pipelined) run the postcheck and the automatic rollback are steps of each instance:
// the canary is checked, found degraded and rolled back before it counts as ended, so the budget
// (no failure allowed) stops the rollout before the next wave.
TEST_F(SafetyLoopTest, PipelineChecksAndRollsBackTheCanaryBeforeTheNextWave) {
  options_.rollback = "auto";
  options_.canary_size = 1;
  options_.error_budget = {false, 0};
  api_->Set("i-disk", [](FakeInstance& i) { i.patched_output = Output("failed"); });  // the canary (id order)
  RunInfo run;
  run.run_id = state::NewRunId(clock_);
  run.workflow = "full";
  ASSERT_TRUE(store_->CreateRun(run).ok());
  auto wf = Make();
  ASSERT_TRUE(wf->Scan(run.run_id, zones_).ok());
  auto all = wf->Pipeline(run.run_id, zones_);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_TRUE(all->back().budget_spent) << "the rolled-back canary counts against the budget";
  auto by_id = ById(run.run_id);
  const InstanceRun& canary = by_id["i-disk"];
  ASSERT_TRUE(canary.postcheck && canary.rollback);
  EXPECT_EQ(canary.patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(canary.postcheck->status, PostcheckStatus::kDegraded);
  EXPECT_EQ(canary.postcheck->regressions,
            std::vector<std::string>{"service:sshd was required active, now failed"});
  EXPECT_EQ(canary.rollback->status, RollbackStatus::kRolledBack);
  EXPECT_TRUE(canary.rollback->automatic);
  EXPECT_EQ(canary.rollback->postcheck, "healthy");
  for (const char* id : {"i-impaired", "i-lost", "i-ok", "i-store", "i-svc"}) {
    ASSERT_TRUE(by_id[id].patch) << id;
    EXPECT_EQ(by_id[id].patch->status, PatchStatus::kSkipped) << id;
    EXPECT_FALSE(by_id[id].postcheck.has_value()) << id;
  }
  EXPECT_EQ(api_->Calls("CreateReplaceRootVolumeTask"), 1);
}

}  // namespace
}  // namespace fleetpatch::workflow
