#include "state/store_copy.h"

#include <gtest/gtest.h>

#include "state/store_backends_for_test.h"

namespace fleetpatch::state {
namespace {

using testutil::SampleBackup;
using testutil::SampleInstance;
using testutil::SamplePatch;
using testutil::SamplePrecheck;
using testutil::SampleRun;

// The target is the backend under test; the source is always an SQLite file (the migration path).
class StoreCopyTest : public StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto source = SqliteStateStore::Open((dir_.path() / "old.db").string(), clock_);
    ASSERT_TRUE(source.ok()) << source.error().ToString();
    source_ = std::move(source).value();
    for (const char* id : {"20261125-194200-00000b", "20261125-194200-00000a"}) FillRun(id);
  }

  void FillRun(const std::string& id) {
    RunInfo run = SampleRun(id);
    run.status = RunStatus::kCompletedWithFailures;
    ASSERT_TRUE(source_->CreateRun(run).ok());
    ASSERT_TRUE(source_->SaveZones(id, {{"prod", "012345678901", "eu-west-1", "arn", {}}}).ok());
    std::vector<InstanceInfo> fleet;
    for (int i = 0; i < 7; ++i) fleet.push_back(SampleInstance("prod", "i-" + std::to_string(i), i != 6));
    ASSERT_TRUE(source_->SaveInstances(id, fleet).ok());
    ASSERT_TRUE(source_->SaveBackup(id, "prod", "i-0", SampleBackup()).ok());
    ASSERT_TRUE(source_->SavePrecheck(id, "prod", "i-1", SamplePrecheck()).ok());
    ASSERT_TRUE(source_->SavePatch(id, "prod", "i-2", SamplePatch()).ok());
    for (int e = 0; e < 5; ++e) {
      ASSERT_TRUE(
          source_->AppendEvent(id, {0, "", "info", "prod", "", "scan", "event " + std::to_string(e)}).ok());
    }
    ASSERT_TRUE(source_->MarkPhaseCompleted(id, Phase::kScan).ok());
  }

  // Everything but the store-assigned event sequence numbers and the copy-time updated_at.
  static nlohmann::json Comparable(const RunSnapshot& s) {
    nlohmann::json j = nlohmann::json::object();
    j["run"] = {s.run.run_id,
                s.run.created_at,
                s.run.user,
                s.run.host,
                s.run.workflow,
                s.run.dry_run,
                RunStatusName(s.run.status),
                s.run.config,
                s.run.phases_completed};
    j["zones"] = s.zones;
    j["instances"] = nlohmann::json::array();
    for (const auto& i : s.instances) {
      j["instances"].push_back({i.info, i.backup ? nlohmann::json(*i.backup) : nlohmann::json(),
                                i.precheck ? nlohmann::json(*i.precheck) : nlohmann::json(),
                                i.patch ? nlohmann::json(*i.patch) : nlohmann::json()});
    }
    for (const auto& e : s.events)
      j["events"].push_back({e.time, e.level, e.zone, e.instance_id, e.phase, e.message});
    return j;
  }

  void ExpectSameRuns() {
    auto a = source_->ListRuns(0);
    auto b = store_->ListRuns(0);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->size(), b->size());
    for (size_t i = 0; i < a->size(); ++i) {
      EXPECT_EQ((*a)[i].run_id, (*b)[i].run_id);  // the same order: latest stays latest
      auto sa = source_->LoadSnapshot((*a)[i].run_id);
      auto sb = store_->LoadSnapshot((*a)[i].run_id);
      ASSERT_TRUE(sa.ok() && sb.ok());
      EXPECT_EQ(Comparable(*sa), Comparable(*sb));
    }
  }

  std::unique_ptr<SqliteStateStore> source_;
};
FP_INSTANTIATE_FOR_EACH_BACKEND(StoreCopyTest);

TEST_P(StoreCopyTest, CopiesEveryRunWithItsResultsAndJournal) {
  auto stats = CopyRuns(*source_, *store_, /*batch_size=*/3);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->runs_copied, 2);
  EXPECT_EQ(stats->instances, 14);
  EXPECT_EQ(stats->events, 10);
  ExpectSameRuns();
}

TEST_P(StoreCopyTest, CopyingAgainChangesNothing) {
  ASSERT_TRUE(CopyRuns(*source_, *store_).ok());
  auto again = CopyRuns(*source_, *store_);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->runs_copied, 0);
  EXPECT_EQ(again->runs_completed, 2);
  EXPECT_EQ(again->events, 0);  // no event twice
  ExpectSameRuns();
}

TEST_P(StoreCopyTest, AnInterruptedCopyIsCompletedByTheNextOne) {
  // What a copy killed in its first (oldest) run leaves behind: the run record, some instances and
  // two events.
  const std::string id = "20261125-194200-00000b";
  auto run = source_->GetRun(id);
  ASSERT_TRUE(run.ok());
  ASSERT_TRUE(store_->CreateRun(*run).ok());
  ASSERT_TRUE(store_->SaveInstances(id, {SampleInstance("prod", "i-0")}).ok());
  auto events = source_->LoadEvents(id, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_TRUE(store_->AppendEvents(id, {(*events)[0], (*events)[1]}).ok());

  auto stats = CopyRuns(*source_, *store_);
  ASSERT_TRUE(stats.ok()) << stats.error().ToString();
  EXPECT_EQ(stats->runs_copied, 1);
  EXPECT_EQ(stats->runs_completed, 1);
  EXPECT_EQ(stats->events, 8);
  ExpectSameRuns();
}

}  // namespace
}  // namespace fleetpatch::state
