// Several workers on one run (docs/team.md), at the workflow level: each zone worked by
// Workflow::WorkZone with the rollout kept in the store (StoreRolloutGate), and the lease heartbeat.
// The processes and the kill -9 takeover are in tests/cli_e2e_test.cc.
#include <gtest/gtest.h>

#include <thread>

#include "state/run_id.h"
#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"
#include "workflow/fake_zone_api_for_test.h"
#include "workflow/interrupt.h"
#include "workflow/lease_heartbeat.h"
#include "workflow/store_rollout.h"
#include "workflow/workflow.h"

namespace fleetpatch::workflow {
namespace {

using testing::FakeInstance;
using testing::FakeZoneApi;

FakeInstance Linux(const std::string& id) { return testing::HealthyLinux(id); }

class WorkerZoneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearInterrupt();
    auto s = state::SqliteStateStore::Open((dir_.path() / "state.db").string(), clock_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    options_.linux_thresholds.critical_services = {"sshd"};
    options_.canary_size = 1;
    options_.wave_size = 10;
    for (const char* zone : {"prod-a", "prod-b"}) {
      auto api = std::make_shared<FakeZoneApi>(clock_);
      connector_.zones[zone] = api;
      ZoneSpec z;
      z.info = {zone, "111111111111", "eu-west-1", "arn:aws:iam::111111111111:role/Patch", {}};
      z.tag_filters = {{"Patch", {"yes"}}};
      zones_.push_back(z);
    }
    Zone("prod-a").Add(Linux("i-a1"));
    Zone("prod-a").Add(Linux("i-a2"));
    Zone("prod-b").Add(Linux("i-b1"));
    Zone("prod-b").Add(Linux("i-b2"));
  }
  FakeZoneApi& Zone(const std::string& name) { return *connector_.zones.at(name); }

  // A new run, scanned, with its rollout started in the store (what the first worker does).
  std::string ScannedRun(int64_t allowed_failures = 0) {
    RunInfo run;
    run.run_id = state::NewRunId(clock_);
    run.workflow = "full";
    EXPECT_TRUE(store_->CreateRun(run).ok());
    EXPECT_TRUE(Make()->Scan(run.run_id, zones_).ok());
    state::RolloutPolicy p{options_.canary_size, options_.wave_size, allowed_failures, true};
    EXPECT_TRUE(store_->StartRollout(run.run_id, p).ok());
    return run.run_id;
  }
  std::unique_ptr<Workflow> Make() {
    return std::make_unique<Workflow>(options_, *store_, connector_, clock_,
                                      Progress::Options{.quiet = true});
  }
  // One worker's turn on one zone.
  std::vector<PhaseSummary> WorkZone(const std::string& run, int zone) {
    StoreRolloutGate gate(*store_, run, clock_, CancelToken(), std::chrono::seconds(1));
    auto r = Make()->WorkZone(run, zones_[zone], gate);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : std::vector<PhaseSummary>{};
  }
  InstanceRun Get(const std::string& run, const std::string& id) {
    auto all = store_->QueryInstances(run, {});
    for (auto& r : *all)
      if (r.info.instance_id == id) return r;
    ADD_FAILURE() << "no instance " << id;
    return {};
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::unique_ptr<state::StateStore> store_;
  testing::FakeConnector connector_;
  std::vector<ZoneSpec> zones_;
  WorkflowOptions options_;
};

TEST_F(WorkerZoneTest, ZonesWorkedOneAfterTheOtherShareOneCanaryAndTheWaves) {
  const std::string run = ScannedRun();
  auto a = WorkZone(run, 0);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].succeeded, 2) << "prod-a: its canary, then the next wave";
  auto b = WorkZone(run, 1);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2].succeeded, 2);
  EXPECT_EQ(Get(run, "i-a1").patch->wave, 0) << "the run's one canary";
  for (const char* id : {"i-a2", "i-b1", "i-b2"}) EXPECT_EQ(Get(run, id).patch->wave, 1) << id;
  EXPECT_EQ(Zone("prod-a").PatchedIds(), (std::vector<std::string>{"i-a1", "i-a2"}));
  EXPECT_EQ(Zone("prod-b").PatchedIds(), (std::vector<std::string>{"i-b1", "i-b2"}));
  auto rollout = store_->GetRollout(run);
  ASSERT_TRUE(rollout.ok());
  EXPECT_EQ(rollout->failures, 0);
  EXPECT_TRUE(rollout->stop_reason.empty());
}

TEST_F(WorkerZoneTest, AFailedCanaryInOneZoneStopsTheOtherZoneOfAnotherWorker) {
  Zone("prod-a").Set("i-a1", [](FakeInstance& i) { i.patch_status = "Failed"; });
  const std::string run = ScannedRun(/*allowed_failures=*/5);
  auto a = WorkZone(run, 0);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[2].failed, 1);
  EXPECT_EQ(a[2].skipped, 1) << "i-a2 waits for no wave after a failed canary";
  auto b = WorkZone(run, 1);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[2].skipped, 2);
  EXPECT_TRUE(Zone("prod-b").PatchedIds().empty()) << "no instance of the other worker's zone is patched";
  auto b1 = Get(run, "i-b1");
  ASSERT_TRUE(b1.patch.has_value());
  EXPECT_EQ(b1.patch->status, PatchStatus::kSkipped);
  EXPECT_NE(b1.patch->reason.find("canary"), std::string::npos) << b1.patch->reason;
}

TEST_F(WorkerZoneTest, AZoneTakenOverWithAPatchInFlightIsNotPatchedTwice) {
  const std::string run = ScannedRun();
  // The first worker backed up, prechecked and sent i-a1's patch (admitted as the canary), then died.
  ASSERT_TRUE(Make()->Backup(run, {zones_[0]}).ok());
  ASSERT_TRUE(Make()->Precheck(run, {zones_[0]}).ok());
  auto admitted = store_->AdmitToWave(run, "prod-a", "i-a1");
  ASSERT_TRUE(admitted.ok());
  ASSERT_EQ(admitted->decision, state::AdmitDecision::kAdmitted);
  auto cmd = Zone("prod-a").SendCommand("AWS-RunPatchBaseline", {"i-a1"}, {}, 60, "the dead worker");
  ASSERT_TRUE(cmd.ok());
  PatchResult flying;
  flying.status = PatchStatus::kInProgress;
  flying.command_id = *cmd;
  flying.started_at = FormatIso8601(clock_.Now());
  ASSERT_TRUE(store_->SavePatch(run, "prod-a", "i-a1", flying).ok());
  const int images = Zone("prod-a").Calls("CreateImage");

  auto a = WorkZone(run, 0);  // the worker that took the zone over
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(Zone("prod-a").Calls("CreateImage"), images) << "no second AMI";
  EXPECT_EQ(Zone("prod-a").PatchedIds(), (std::vector<std::string>{"i-a1", "i-a2"}))
      << "i-a1's patch (sent by the dead worker) is watched, not sent again";
  EXPECT_EQ(Get(run, "i-a1").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Get(run, "i-a2").patch->status, PatchStatus::kSuccess);
  EXPECT_EQ(Get(run, "i-a2").patch->wave, 1);
}

// ---- the lease heartbeat (real time: the heartbeat runs on a thread of its own) ----

TEST_F(WorkerZoneTest, TheHeartbeatKeepsTheLeaseAndCancelsTheZoneWhenTheLeaseIsGone) {
  RealClock& clock = DefaultClock();
  auto s = state::SqliteStateStore::Open((dir_.path() / "leases.db").string(), clock);
  ASSERT_TRUE(s.ok());
  auto store = std::move(s).value();
  RunInfo run;
  run.run_id = "run-leases";
  ASSERT_TRUE(store->CreateRun(run).ok());
  ASSERT_TRUE(store->SaveZones(run.run_id, {{"prod-a", "111111111111", "eu-west-1", ""}}).ok());
  const auto ttl = std::chrono::milliseconds(600);
  auto lease = store->ClaimZone(run.run_id, "w1", {}, ttl);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  const state::ZoneLease held = **lease;
  state::ZoneLease renewed = held;
  CancelToken cancel;
  LeaseHeartbeat heartbeat(*store, &renewed, ttl, clock, cancel);

  // Three ttls later the lease is still w1's: nobody else can claim the zone.
  std::this_thread::sleep_for(ttl * 3);
  auto other = store->ClaimZone(run.run_id, "w2", {}, ttl);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->has_value()) << "the heartbeat kept the lease";
  EXPECT_FALSE(cancel.Cancelled());

  // The lease is released behind the worker's back (as after a takeover): the next renewal is
  // refused, and the heartbeat cancels the zone's work.
  ASSERT_TRUE(store->ReleaseZone(held, /*done=*/false).ok());
  for (int i = 0; i < 200 && !cancel.Cancelled(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(cancel.Cancelled());
  EXPECT_NE(heartbeat.Stop().find("prod-a"), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::workflow
