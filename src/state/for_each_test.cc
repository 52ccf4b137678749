// Tests of the bounded iteration over a run (ForEachInstance, ForEachEvent) and of
// ReadConsistently: batches, order, filters, early stop, and the snapshot a visit reads while
// another connection writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "state/sqlite_state_store.h"
#include "state/state_test_util.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::state {
namespace {

using ::testing::HasSubstr;
using testutil::SampleBackup;
using testutil::SampleInstance;
using testutil::SamplePatch;
using testutil::SamplePrecheck;
using testutil::SampleRun;

constexpr const char* kRun = "20261125-194200-3f9a1c";

class ForEachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "state.db").string();
    auto store = SqliteStateStore::Open(path_, clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(store_->CreateRun(SampleRun(kRun)).ok());
  }

  // n instances alternating between zones "a" and "b", ids i-0 .. i-(n-1), every third ineligible,
  // with results on some of them.
  void SaveInstances(int n) {
    std::vector<InstanceInfo> in;
    for (int k = 0; k < n; ++k)
      in.push_back(SampleInstance(k % 2 ? "b" : "a", "i-" + std::to_string(k), k % 3 != 0));
    ASSERT_TRUE(store_->SaveInstances(kRun, in).ok());
    for (int k = 0; k < n; k += 4) {
      const std::string zone = k % 2 ? "b" : "a";
      const std::string id = "i-" + std::to_string(k);
      ASSERT_TRUE(store_->SaveBackup(kRun, zone, id, SampleBackup()).ok());
      ASSERT_TRUE(store_->SavePrecheck(kRun, zone, id, SamplePrecheck()).ok());
      ASSERT_TRUE(store_->SavePatch(kRun, zone, id, SamplePatch()).ok());
    }
  }

  // The ids visited and the size of each batch.
  Status Visit(const InstanceQuery& q, size_t batch, std::vector<std::string>* ids,
               std::vector<size_t>* sizes, StateStore* store = nullptr) {
    return (store ? store : store_.get())->ForEachInstance(kRun, q, batch, [&](std::vector<InstanceRun>&& b) {
      sizes->push_back(b.size());
      for (const auto& r : b) ids->push_back(r.info.instance_id);
      return OkStatus();
    });
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::string path_;
  std::unique_ptr<SqliteStateStore> store_;
};

TEST_F(ForEachTest, VisitsEveryInstanceOnceInFirstSaveOrderInBoundedBatches) {
  SaveInstances(10);
  auto all = store_->QueryInstances(kRun, {});
  ASSERT_TRUE(all.ok());
  for (size_t batch : {1u, 3u, 5u, 10u, 11u, 1000u}) {
    std::vector<std::string> ids;
    std::vector<size_t> sizes;
    ASSERT_TRUE(Visit({}, batch, &ids, &sizes).ok());
    ASSERT_EQ(ids.size(), all->size()) << "batch " << batch;
    for (size_t k = 0; k < ids.size(); ++k) EXPECT_EQ(ids[k], (*all)[k].info.instance_id);
    for (size_t s : sizes) {
      EXPECT_LE(s, batch);
      EXPECT_GT(s, 0u);  // never an empty batch
    }
    EXPECT_EQ(sizes.size(), (10 + batch - 1) / batch) << "batch " << batch;
  }
}

// SelectInstances is QueryInstances with a filter applied batch by batch: the same instances in the
// same order, only those `keep` accepts, each looked at once.
TEST_F(ForEachTest, SelectInstancesKeepsWhatItAcceptsInFirstSaveOrder) {
  SaveInstances(10);
  InstanceQuery q;
  q.eligible = true;
  auto all = store_->QueryInstances(kRun, q);
  ASSERT_TRUE(all.ok());
  std::vector<std::string> want, looked_at;
  for (const auto& r : *all)
    if (r.patch) want.push_back(r.info.instance_id);
  auto kept = store_->SelectInstances(
      kRun, q,
      [&](const InstanceRun& r) {
        looked_at.push_back(r.info.instance_id);
        return r.patch.has_value();
      },
      3);
  ASSERT_TRUE(kept.ok()) << kept.error().ToString();
  std::vector<std::string> got;
  for (const auto& r : *kept) got.push_back(r.info.instance_id);
  EXPECT_EQ(got, want);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(looked_at.size(), all->size());
}

TEST_F(ForEachTest, BatchesCarryTheSameResultsAsQueryInstances) {
  SaveInstances(9);
  auto all = store_->QueryInstances(kRun, {});
  ASSERT_TRUE(all.ok());
  std::vector<InstanceRun> seen;
  ASSERT_TRUE(store_
                  ->ForEachInstance(kRun, {}, 4,
                                    [&](std::vector<InstanceRun>&& b) {
                                      for (auto& r : b) seen.push_back(std::move(r));
                                      return OkStatus();
                                    })
                  .ok());
  ASSERT_EQ(seen.size(), all->size());
  for (size_t k = 0; k < seen.size(); ++k) {
    EXPECT_EQ(nlohmann::json(seen[k].info), nlohmann::json((*all)[k].info));
    EXPECT_EQ(seen[k].backup.has_value(), (*all)[k].backup.has_value());
    if (seen[k].precheck) {
      EXPECT_EQ(nlohmann::json(*seen[k].precheck), nlohmann::json(*(*all)[k].precheck));
    }
    if (seen[k].patch) {
      EXPECT_EQ(nlohmann::json(*seen[k].patch), nlohmann::json(*(*all)[k].patch));
    }
  }
}

TEST_F(ForEachTest, FiltersLikeQueryInstances) {
  SaveInstances(12);
  InstanceQuery by_zone;
  by_zone.zone = "b";
  InstanceQuery eligible_without_backup;
  eligible_without_backup.eligible = true;
  eligible_without_backup.backup_status = {kNoResult};
  for (const InstanceQuery& q : {by_zone, eligible_without_backup}) {
    auto want = store_->QueryInstances(kRun, q);
    ASSERT_TRUE(want.ok());
    ASSERT_FALSE(want->empty());
    std::vector<std::string> ids;
    std::vector<size_t> sizes;
    ASSERT_TRUE(Visit(q, 2, &ids, &sizes).ok());
    ASSERT_EQ(ids.size(), want->size());
    for (size_t k = 0; k < ids.size(); ++k) EXPECT_EQ(ids[k], (*want)[k].info.instance_id);
  }
}

TEST_F(ForEachTest, PagesHonourTheWorkflowView) {
  SaveInstances(5);
  InstanceQuery lean;
  lean.details = false;
  size_t seen = 0, with_precheck = 0;
  ASSERT_TRUE(store_
                  ->ForEachInstance(kRun, lean, 2,
                                    [&](std::vector<InstanceRun>&& b) {
                                      for (const auto& r : b) {
                                        ++seen;
                                        EXPECT_TRUE(r.info.tags.empty());
                                        if (!r.precheck) continue;
                                        ++with_precheck;
                                        EXPECT_TRUE(r.precheck->output.empty());
                                        EXPECT_TRUE(r.precheck->findings.empty());
                                        EXPECT_FALSE(
                                            r.precheck->reasons.empty());  // the rest of the result stays
                                      }
                                      return OkStatus();
                                    })
                  .ok());
  EXPECT_EQ(seen, 5u);
  EXPECT_GT(with_precheck, 0u);
}

TEST_F(ForEachTest, AnErrorFromTheCallbackStopsTheVisit) {
  SaveInstances(10);
  int calls = 0;
  Status s = store_->ForEachInstance(kRun, {}, 3, [&](std::vector<InstanceRun>&&) -> Status {
    if (++calls == 2) return Error::Internal("disk full");
    return OkStatus();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "disk full");
  EXPECT_EQ(calls, 2);
}

TEST_F(ForEachTest, UnknownRunEmptyRunAndZeroBatch) {
  auto none = store_->ForEachInstance("nope", {}, 10, [](std::vector<InstanceRun>&&) { return OkStatus(); });
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().category, ErrorCategory::kNotFound);
  auto none_events = store_->ForEachEvent("nope", 10, [](std::vector<Event>&&) { return OkStatus(); });
  EXPECT_EQ(none_events.error().category, ErrorCategory::kNotFound);

  int calls = 0;
  ASSERT_TRUE(store_
                  ->ForEachInstance(kRun, {}, 10,
                                    [&](std::vector<InstanceRun>&&) {
                                      ++calls;
                                      return OkStatus();
                                    })
                  .ok());
  EXPECT_EQ(calls, 0);  // no instances: the callback is never called with an empty batch
  EXPECT_FALSE(
      store_->ForEachInstance(kRun, {}, 0, [](std::vector<InstanceRun>&&) { return OkStatus(); }).ok());
}

TEST_F(ForEachTest, EventsInOrderInBatches) {
  for (int k = 0; k < 7; ++k) {
    Event e;
    e.message = "event " + std::to_string(k);
    ASSERT_TRUE(store_->AppendEvent(kRun, e).ok());
  }
  auto want = store_->LoadEvents(kRun);
  ASSERT_TRUE(want.ok());
  std::vector<Event> seen;
  std::vector<size_t> sizes;
  ASSERT_TRUE(store_
                  ->ForEachEvent(kRun, 3,
                                 [&](std::vector<Event>&& b) {
                                   sizes.push_back(b.size());
                                   for (auto& e : b) seen.push_back(std::move(e));
                                   return OkStatus();
                                 })
                  .ok());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 1}));
  ASSERT_EQ(seen.size(), want->size());
  for (size_t k = 0; k < seen.size(); ++k) {
    EXPECT_EQ(seen[k].seq, (*want)[k].seq);
    EXPECT_EQ(seen[k].message, (*want)[k].message);
  }
}

// A visit reads one snapshot: writes committed by another connection (the workflow in another
// process) while the visit is between batches are not seen, neither new instances nor changed
// results, and the next visit sees them.
TEST_F(ForEachTest, AVisitReadsOneSnapshotWhileAnotherConnectionWrites) {
  SaveInstances(6);
  auto writer = SqliteStateStore::Open(path_, clock_);
  ASSERT_TRUE(writer.ok());
  std::vector<std::string> ids;
  std::vector<std::string> patch_status_of_last;
  int batches = 0;
  Status s = store_->ForEachInstance(kRun, {}, 2, [&](std::vector<InstanceRun>&& b) -> Status {
    if (++batches == 1) {
      // Between the first and the second batch: a new instance and a changed result on one not
      // yet visited (i-5, in the last batch).
      FP_RETURN_IF_ERROR((*writer)->SaveInstances(kRun, {SampleInstance("a", "i-new")}));
      FP_RETURN_IF_ERROR((*writer)->SavePatch(kRun, "b", "i-5", SamplePatch(PatchStatus::kSuccess)));
    }
    for (const auto& r : b) {
      ids.push_back(r.info.instance_id);
      if (r.info.instance_id == "i-5")
        patch_status_of_last.push_back(r.patch ? PatchStatusName(r.patch->status) : "");
    }
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(ids.size(), 6u);
  EXPECT_THAT(ids, ::testing::Not(::testing::Contains("i-new")));
  EXPECT_EQ(patch_status_of_last, std::vector<std::string>{""});

  std::vector<std::string> after;
  std::vector<size_t> sizes;
  ASSERT_TRUE(Visit({}, 2, &after, &sizes).ok());
  EXPECT_EQ(after.size(), 7u);
  EXPECT_EQ(after.back(), "i-new");
}

// ReadConsistently makes several passes agree: a write by another connection between two passes
// is seen by neither; nested reads join the snapshot; writes inside it fail.
TEST_F(ForEachTest, ReadConsistentlyKeepsOneSnapshotAcrossPasses) {
  SaveInstances(4);
  auto writer = SqliteStateStore::Open(path_, clock_);
  ASSERT_TRUE(writer.ok());
  std::vector<std::string> first, second;
  std::vector<size_t> sizes;
  int64_t counted = -1;
  Status s = store_->ReadConsistently([&]() -> Status {
    FP_RETURN_IF_ERROR(Visit({}, 3, &first, &sizes));
    FP_RETURN_IF_ERROR((*writer)->SaveInstances(kRun, {SampleInstance("a", "i-new")}));
    FP_RETURN_IF_ERROR(Visit({}, 3, &second, &sizes));
    FP_ASSIGN_OR_RETURN(auto counts, store_->CountByStatus(kRun, Phase::kScan));
    counted = 0;
    for (const auto& [k, v] : counts) counted += v;
    EXPECT_FALSE(store_->AppendEvent(kRun, Event{}).ok());  // no writes inside a read snapshot
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.size(), 4u);
  EXPECT_EQ(counted, 4);
  // Afterwards the store works normally and sees the write.
  auto all = store_->QueryInstances(kRun, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  EXPECT_TRUE(store_->AppendEvent(kRun, Event{}).ok());
}

// The base class's fallback (for other StateStore implementations) hands over the same instances
// and events in the same batches.
TEST_F(ForEachTest, TheDefaultImplementationGivesTheSameBatches) {
  SaveInstances(7);
  for (int k = 0; k < 5; ++k) ASSERT_TRUE(store_->AppendEvent(kRun, Event{}).ok());
  std::vector<std::string> want_ids, got_ids;
  std::vector<size_t> want_sizes, got_sizes;
  ASSERT_TRUE(Visit({}, 3, &want_ids, &want_sizes).ok());
  ASSERT_TRUE(store_
                  ->StateStore::ForEachInstance(kRun, {}, 3,
                                                [&](std::vector<InstanceRun>&& b) {
                                                  got_sizes.push_back(b.size());
                                                  for (const auto& r : b)
                                                    got_ids.push_back(r.info.instance_id);
                                                  return OkStatus();
                                                })
                  .ok());
  EXPECT_EQ(got_ids, want_ids);
  EXPECT_EQ(got_sizes, want_sizes);
  std::vector<size_t> event_sizes;
  ASSERT_TRUE(store_
                  ->StateStore::ForEachEvent(kRun, 2,
                                             [&](std::vector<Event>&& b) {
                                               event_sizes.push_back(b.size());
                                               return OkStatus();
                                             })
                  .ok());
  EXPECT_EQ(event_sizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_FALSE(
      store_->StateStore::ForEachEvent(kRun, 0, [](std::vector<Event>&&) { return OkStatus(); }).ok());
}

// Pages walk the run's seq range: instances of runs saved before, in between and after are never
// handed over, and nothing of the run is missed.
TEST_F(ForEachTest, InterleavedRunsAreKeptApart) {
  constexpr const char* kOther = "20261125-194200-000002";
  ASSERT_TRUE(store_->CreateRun(SampleRun(kOther)).ok());
  std::vector<std::string> mine;
  for (int k = 0; k < 9; ++k) {
    const std::string id = "i-" + std::to_string(k);
    ASSERT_TRUE(store_->SaveInstances(kOther, {SampleInstance("a", id + "-other")}).ok());
    ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance(k % 3 ? "a" : "b", id)}).ok());
    mine.push_back(id);
  }
  ASSERT_TRUE(store_->SaveInstances(kOther, {SampleInstance("a", "last-other")}).ok());
  std::vector<std::string> ids;
  std::vector<size_t> sizes;
  ASSERT_TRUE(Visit({}, 2, &ids, &sizes).ok());
  EXPECT_EQ(ids, mine);
  InstanceQuery zone_b;
  zone_b.zone = "b";
  ids.clear();
  ASSERT_TRUE(Visit(zone_b, 1, &ids, &sizes).ok());
  EXPECT_EQ(ids, (std::vector<std::string>{"i-0", "i-3", "i-6"}));
}

TEST_F(ForEachTest, ReadOnlyStoresIterateToo) {
  SaveInstances(5);
  SqliteStateStoreOptions ro;
  ro.read_only = true;
  auto reader = SqliteStateStore::Open(path_, clock_, ro);
  ASSERT_TRUE(reader.ok()) << reader.error().ToString();
  std::vector<std::string> ids;
  std::vector<size_t> sizes;
  ASSERT_TRUE(Visit({}, 2, &ids, &sizes, reader->get()).ok());
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_TRUE((*reader)->ReadConsistently([&]() { return Visit({}, 2, &ids, &sizes, reader->get()); }).ok());
  EXPECT_EQ(ids.size(), 10u);
}

}  // namespace
}  // namespace fleetpatch::state
