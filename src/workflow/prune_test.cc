#include "workflow/prune.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "state/sqlite_state_store.h"
#include "testing/fake_clock.h"
#include "workflow/fake_zone_api_for_test.h"

namespace fleetpatch::workflow {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using SysClock = std::chrono::system_clock;

constexpr const char* kAccount = "111122223333";

SysClock::time_point Day(int d) {  // 2026-11-01 + d days
  SysClock::time_point t;
  ParseIso8601("2026-11-01T00:00:00Z", &t);
  return t + std::chrono::hours(24) * d;
}

// An AMI fleetpatch made of `instance` on day `day` in run `run`.
PruneImage Ours(const std::string& id, const std::string& instance, int day, const std::string& run = "r1") {
  PruneImage p;
  p.zone = "prod";
  p.account_id = kAccount;
  p.image.image_id = id;
  p.image.name = "fleetpatch-" + instance + "-" + run;
  p.image.state = "available";
  p.image.owner_id = kAccount;
  p.image.source_instance_id = instance;
  p.image.creation_date = FormatIso8601(Day(day));
  p.image.snapshot_ids = {"snap-" + id.substr(4) + "a", "snap-" + id.substr(4) + "b"};
  p.image.size_gib = 8;
  p.image.tags = {{kCreatedByTag, "fleetpatch"},
                  {kInstanceIdTag, instance},
                  {kRunTag, run},
                  {kBackupNameTag, p.image.name},
                  {kDeleteAfterTag, FormatIso8601(Day(day + 30)).substr(0, 10)}};
  return p;
}

std::map<std::string, PruneDecision> Plan(std::vector<PruneImage> images, PrunePolicy policy = {},
                                          PruneProtection protection = {}, int today = 60) {
  std::map<std::string, PruneDecision> out;
  for (auto& d : PlanPrune(std::move(images), policy, protection, Day(today)))
    out[d.candidate.image.image_id] = d;
  return out;
}

TEST(PlanPruneTest, DeletesExpiredImagesAndKeepsTheNewestOfEachInstance) {
  auto plan = Plan(
      {Ours("ami-1", "i-a", 0), Ours("ami-2", "i-a", 7), Ours("ami-3", "i-a", 14), Ours("ami-4", "i-b", 0)});
  EXPECT_EQ(plan["ami-1"].action, PruneAction::kDelete);
  EXPECT_EQ(plan["ami-2"].action, PruneAction::kDelete);
  EXPECT_EQ(plan["ami-3"].action, PruneAction::kKeep);
  EXPECT_EQ(plan["ami-3"].reason, "one of the newest 1 backups of i-a");
  EXPECT_EQ(plan["ami-4"].action, PruneAction::kKeep) << "the only backup of i-b stays, however old";
  EXPECT_THAT(plan["ami-1"].reason, ::testing::HasSubstr("expired"));
}

TEST(PlanPruneTest, KeepLastZeroAndTwo) {
  auto none = Plan({Ours("ami-1", "i-a", 0)}, {30, 0});
  EXPECT_EQ(none["ami-1"].action, PruneAction::kDelete);
  auto two = Plan({Ours("ami-1", "i-a", 0), Ours("ami-2", "i-a", 1), Ours("ami-3", "i-a", 2)}, {30, 2});
  EXPECT_EQ(two["ami-1"].action, PruneAction::kDelete);
  EXPECT_EQ(two["ami-2"].action, PruneAction::kKeep);
  EXPECT_EQ(two["ami-3"].action, PruneAction::kKeep);
}

TEST(PlanPruneTest, NotExpiredImagesCountAmongTheNewest) {
  // day 50 is not expired at day 60 (retention 30): it is the newest kept one, so both old ones go.
  auto plan = Plan({Ours("ami-1", "i-a", 0), Ours("ami-2", "i-a", 5), Ours("ami-3", "i-a", 50)});
  EXPECT_EQ(plan["ami-3"].action, PruneAction::kKeep);
  EXPECT_THAT(plan["ami-3"].reason, ::testing::HasSubstr("not expired"));
  EXPECT_EQ(plan["ami-1"].action, PruneAction::kDelete);
  EXPECT_EQ(plan["ami-2"].action, PruneAction::kDelete);
}

TEST(PlanPruneTest, DeleteAfterTagExpiresBeforeTheRetention) {
  PruneImage early = Ours("ami-1", "i-a", 55);
  early.image.tags[kDeleteAfterTag] = "2026-12-29";  // day 58
  auto plan = Plan({early, Ours("ami-2", "i-a", 56)}, {30, 1});
  EXPECT_EQ(plan["ami-1"].action, PruneAction::kDelete);
  EXPECT_THAT(plan["ami-1"].reason, ::testing::HasSubstr("delete-after 2026-12-29"));
}

TEST(PlanPruneTest, NeverTouchesWhatItCannotProveItCreated) {
  PruneImage foreign = Ours("ami-1", "i-a", 0);
  foreign.image.owner_id = "999999999999";
  PruneImage untagged = Ours("ami-2", "i-a", 0);
  untagged.image.tags.erase(kCreatedByTag);
  PruneImage renamed = Ours("ami-3", "i-a", 0);
  renamed.image.name = "someone-elses-image";
  PruneImage no_run = Ours("ami-4", "i-a", 0);
  no_run.image.tags.erase(kRunTag);
  auto plan = Plan({foreign, untagged, renamed, no_run, Ours("ami-5", "i-a", 1)}, {30, 0});
  for (const char* id : {"ami-1", "ami-2", "ami-3", "ami-4"})
    EXPECT_EQ(plan[id].action, PruneAction::kNotOurs) << id;
  EXPECT_THAT(plan["ami-1"].reason, ::testing::HasSubstr("999999999999"));
  EXPECT_EQ(plan["ami-5"].action, PruneAction::kDelete);
}

TEST(PlanPruneTest, UnfinishedRunsRollbacksAndPendingImagesStay) {
  PruneImage pending = Ours("ami-3", "i-c", 0);
  pending.image.state = "pending";
  PruneProtection protect;
  protect.unfinished_runs = {"r-open"};
  protect.rollback_images = {"ami-2"};
  auto plan = Plan({Ours("ami-1", "i-a", 0, "r-open"), Ours("ami-2", "i-b", 0), pending}, {30, 0}, protect);
  EXPECT_EQ(plan["ami-1"].action, PruneAction::kKeep);
  EXPECT_EQ(plan["ami-1"].reason, "run r-open has not finished");
  EXPECT_EQ(plan["ami-2"].action, PruneAction::kKeep);
  EXPECT_THAT(plan["ami-2"].reason, ::testing::HasSubstr("rollback"));
  EXPECT_EQ(plan["ami-3"].action, PruneAction::kKeep);
}

class RecordingJournal : public PruneJournal {
 public:
  Status Intend(const PruneIntent& i) override {
    log.push_back("intent " + i.image_id);
    return OkStatus();
  }
  Status Done(const PruneIntent& i) override {
    log.push_back("done " + i.image_id);
    return OkStatus();
  }
  std::vector<std::string> log;
};

TEST(ExecutePruneTest, DeletesTheImageAndExactlyItsOwnSnapshots) {
  fleetpatch::testing::FakeClock clock;
  testing::FakeZoneApi api(clock);
  api.account_id = kAccount;
  PruneDecision d;
  d.candidate = Ours("ami-1", "i-a", 0);
  d.action = PruneAction::kDelete;
  api.AddImage(d.candidate.image);
  api.AddSnapshot("snap-decoy", {{kCreatedByTag, "fleetpatch"}, {kBackupNameTag, d.candidate.image.name}});
  RecordingJournal journal;
  ExecutePrune(api, journal, {&d});
  EXPECT_EQ(d.action, PruneAction::kDeleted) << d.reason;
  EXPECT_THAT(api.DeregisteredImages(), ElementsAre("ami-1"));
  EXPECT_THAT(api.DeletedSnapshots(), UnorderedElementsAre("snap-1a", "snap-1b"))
      << "a snapshot that only carries fleetpatch's tags is never deleted";
  EXPECT_EQ(api.Calls("DescribeSnapshots"), 1) << "one ownership check by id for the zone";
  EXPECT_THAT(journal.log, ElementsAre("intent ami-1", "done ami-1"));
}

TEST(ExecutePruneTest, SnapshotsOfAnotherAccountAreLeftAlone) {
  fleetpatch::testing::FakeClock clock;
  testing::FakeZoneApi api(clock);
  api.account_id = kAccount;
  PruneDecision d;
  d.candidate = Ours("ami-1", "i-a", 0);
  d.action = PruneAction::kDelete;
  api.AddImage(d.candidate.image, "available", "999999999999");
  RecordingJournal journal;
  ExecutePrune(api, journal, {&d});
  EXPECT_EQ(d.action, PruneAction::kDeleted);
  EXPECT_TRUE(api.DeletedSnapshots().empty());
  EXPECT_THAT(d.reason, ::testing::HasSubstr("does not own"));
}

TEST(PlanPruneTest, AnImageWhoseSourceInstanceDiffersFromItsTagIsNotOurs) {
  PruneImage forged = Ours("ami-1", "i-a", 0);
  forged.image.source_instance_id = "i-other";
  auto plan = Plan({forged}, {30, 0});
  EXPECT_EQ(plan["ami-1"].action, PruneAction::kNotOurs);
  EXPECT_THAT(plan["ami-1"].reason, ::testing::HasSubstr("source instance"));
}

class PruneStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fp-prune-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = state::SqliteStateStore::Open((dir_ / "state.db").string(), clock_);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AddRun(const std::string& id, const std::string& workflow, RunStatus status) {
    RunInfo r;
    r.run_id = id;
    r.workflow = workflow;
    ASSERT_TRUE(store_->CreateRun(r).ok());
    ASSERT_TRUE(store_->UpdateRunStatus(id, status).ok());
  }

  fleetpatch::testing::FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<state::SqliteStateStore> store_;
};

TEST_F(PruneStoreTest, AKilledPruneLeavesIntentsTheNextOneFinishes) {
  AddRun("20261201-000000-aaaaaa", state::kPruneWorkflow, RunStatus::kRunning);
  StorePruneJournal journal(*store_, clock_, "20261201-000000-aaaaaa");
  ASSERT_TRUE(journal.Intend({"prod", "ami-1", {"snap-1a", "snap-1b"}}).ok());
  ASSERT_TRUE(journal.Done({"prod", "ami-1", {"snap-1a", "snap-1b"}}).ok());
  ASSERT_TRUE(journal.Intend({"prod", "ami-2", {"snap-2a"}}).ok());  // killed here

  auto pending = FindPendingPrunes(*store_);
  ASSERT_TRUE(pending.ok()) << pending.error().ToString();
  ASSERT_EQ(pending->intents.size(), 1u);
  EXPECT_EQ(pending->intents[0].image_id, "ami-2");
  EXPECT_THAT(pending->intents[0].snapshot_ids, ElementsAre("snap-2a"));
  EXPECT_THAT(pending->run_ids, ElementsAre("20261201-000000-aaaaaa"));

  testing::FakeZoneApi api(clock_);
  StorePruneJournal next(*store_, clock_, "20261201-000000-aaaaaa");
  ASSERT_TRUE(FinishIntent(api, next, pending->intents[0]).ok());
  EXPECT_THAT(api.DeletedSnapshots(), ElementsAre("snap-2a"));
  auto again = FindPendingPrunes(*store_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->intents.empty());
}

TEST_F(PruneStoreTest, PruneRunsAreNeverTheLatestRun) {
  AddRun("20261201-000000-aaaaaa", "full", RunStatus::kSucceeded);
  AddRun("20261202-000000-bbbbbb", state::kPruneWorkflow, RunStatus::kSucceeded);
  auto latest = store_->LatestRun();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->run_id, "20261201-000000-aaaaaa");
}

TEST_F(PruneStoreTest, ProtectsUnfinishedRunsAndTheNewestPatchedBackupOfEachInstance) {
  AddRun("20261201-000000-aaaaaa", "full", RunStatus::kSucceeded);
  AddRun("20261202-000000-bbbbbb", "full", RunStatus::kInterrupted);
  auto add = [&](const std::string& run, const std::string& ami, PatchStatus patch) {
    InstanceInfo i;
    i.zone = "prod";
    i.instance_id = "i-a";
    i.eligible = true;
    ASSERT_TRUE(store_->SaveInstances(run, {i}).ok());
    BackupResult b;
    b.status = BackupStatus::kAvailable;
    b.ami_id = ami;
    ASSERT_TRUE(store_->SaveBackup(run, "prod", "i-a", b).ok());
    PatchResult p;
    p.status = patch;
    ASSERT_TRUE(store_->SavePatch(run, "prod", "i-a", p).ok());
  };
  add("20261201-000000-aaaaaa", "ami-old", PatchStatus::kSuccess);
  add("20261202-000000-bbbbbb", "ami-new", PatchStatus::kFailed);
  auto p = ProtectionFromStore(*store_, 100);
  ASSERT_TRUE(p.ok()) << p.error().ToString();
  EXPECT_THAT(p->unfinished_runs, ElementsAre("20261202-000000-bbbbbb"));
  EXPECT_THAT(p->rollback_images, ElementsAre("ami-new")) << "only the newest patching run's backup";
}

}  // namespace
}  // namespace fleetpatch::workflow
