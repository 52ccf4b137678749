// Several workers on one run, on both backends: zone leases (claims that never overlap, expiry
// takeover, heartbeats, release) and the run-wide rollout (canary gate, waves, error budget)
// shared by separate connections to the same store, as separate worker processes would share it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "state/store_backends_for_test.h"

namespace fleetpatch::state {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr milliseconds kLongTtl{60000};

class WorkersStoreTest : public StoreBackendTest {
 protected:
  void SetUp() override {
    StoreBackendTest::SetUp();
    if (!store_) return;  // skipped (no PostgreSQL server outside CI)
    CreateSampleRun(kRun);
  }

  void SaveZones(int n) {
    std::vector<LandingZoneInfo> zones;
    for (int i = 0; i < n; ++i) zones.push_back({ZoneName(i), "012345678901", "eu-west-1", ""});
    ASSERT_TRUE(store_->SaveZones(kRun, zones).ok());
  }
  static std::string ZoneName(int i) { return "zone-" + std::to_string(100 + i); }

  // Lets a lease of `ttl` run out: the store's Clock for SQLite, the server's clock for PostgreSQL.
  void LetExpire(milliseconds ttl) {
    clock_.Advance(ttl + milliseconds(1));
    if (GetParam() == Backend::kPostgres) std::this_thread::sleep_for(ttl + milliseconds(50));
  }

  std::optional<ZoneLease> Claim(StateStore& store, const std::string& worker, milliseconds ttl = kLongTtl,
                                 const std::vector<std::string>& only = {}) {
    auto lease = store.ClaimZone(kRun, worker, only, ttl);
    EXPECT_TRUE(lease.ok()) << lease.error().ToString();
    return lease.ok() ? *lease : std::nullopt;
  }

  static constexpr const char* kRun = "run-workers";
};

// ---- zone leases ----

TEST_P(WorkersStoreTest, ClaimsTakeTheZonesInOrderAndNeverTheSameTwice) {
  SaveZones(3);
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  auto a = Claim(*store_, "worker-a");
  auto b = Claim(*other, "worker-b");
  auto c = Claim(*store_, "worker-a");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->zone, ZoneName(0));
  EXPECT_EQ(b->zone, ZoneName(1));
  EXPECT_EQ(c->zone, ZoneName(2));
  EXPECT_EQ(b->worker_id, "worker-b");
  EXPECT_EQ(a->generation, 1);
  EXPECT_TRUE(a->taken_from.empty());
  EXPECT_FALSE(a->expires_at.empty());
  EXPECT_FALSE(Claim(*other, "worker-b")) << "every zone is held";

  auto leases = store_->ListZoneLeases(kRun);
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 3u);
  EXPECT_EQ((*leases)[1].zone, ZoneName(1));
  EXPECT_EQ((*leases)[1].worker_id, "worker-b");
  EXPECT_FALSE((*leases)[1].done);
}

// Two connections claim as fast as they can: each zone goes to exactly one of them.
TEST_P(WorkersStoreTest, TwoConnectionsRacingForZonesNeverGetTheSameOne) {
  constexpr int kZones = 24;
  SaveZones(kZones);
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  std::map<std::string, std::vector<std::string>> won;  // worker -> zones
  auto claim_all = [&](StateStore* store, const std::string& worker) {
    for (;;) {
      auto lease = store->ClaimZone(kRun, worker, {}, kLongTtl);
      if (!lease.ok()) {
        ADD_FAILURE() << lease.error().ToString();
        return;
      }
      if (!*lease) return;
      won[worker].push_back((*lease)->zone);
    }
  };
  std::thread t1([&] { claim_all(store_.get(), "worker-a"); });
  std::thread t2([&] { claim_all(other.get(), "worker-b"); });
  t1.join();
  t2.join();
  std::multiset<std::string> all;
  for (const auto& [worker, zones] : won) all.insert(zones.begin(), zones.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kZones));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), static_cast<size_t>(kZones))
      << "a zone twice";
}

TEST_P(WorkersStoreTest, AnExpiredLeaseIsTakenOverAndTheOldHolderIsToldToStop) {
  SaveZones(1);
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  const milliseconds ttl(300);
  auto a = Claim(*store_, "worker-a", ttl);
  ASSERT_TRUE(a);
  EXPECT_FALSE(Claim(*other, "worker-b", ttl)) << "held and not expired";
  LetExpire(ttl);
  auto b = Claim(*other, "worker-b", kLongTtl);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->zone, a->zone);
  EXPECT_EQ(b->taken_from, "worker-a");
  EXPECT_EQ(b->generation, a->generation + 1);

  Status renew = store_->RenewZoneLease(&*a, kLongTtl);
  ASSERT_FALSE(renew.ok());
  EXPECT_EQ(renew.error().category, ErrorCategory::kValidation);
  EXPECT_THAT(renew.error().message, HasSubstr("worker worker-b holds it"));
  EXPECT_FALSE(store_->ReleaseZone(*a, true).ok()) << "the old holder cannot finish the zone either";
  EXPECT_TRUE(other->RenewZoneLease(&*b, kLongTtl).ok());

  auto events = store_->LoadEvents(kRun);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_EQ(events->back().level, "warning");
  EXPECT_EQ(events->back().zone, a->zone);
  EXPECT_THAT(events->back().message,
              HasSubstr("worker worker-b took zone " + a->zone + " over from worker worker-a"));
}

TEST_P(WorkersStoreTest, AHeartbeatKeepsTheLease) {
  SaveZones(1);
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  const milliseconds ttl(300);
  auto a = Claim(*store_, "worker-a", ttl);
  ASSERT_TRUE(a);
  const std::string first_expiry = a->expires_at;
  ASSERT_TRUE(store_->RenewZoneLease(&*a, kLongTtl).ok());
  EXPECT_GT(a->expires_at, first_expiry);
  LetExpire(ttl);
  EXPECT_FALSE(Claim(*other, "worker-b")) << "renewed past the first expiry";
  EXPECT_FALSE(store_->RenewZoneLease(&*a, milliseconds(0)).ok()) << "a ttl must be positive";
}

TEST_P(WorkersStoreTest, AReleasedZoneIsFreeAtOnceAndADoneZoneIsNeverClaimedAgain) {
  SaveZones(2);
  auto a = Claim(*store_, "worker-a");
  auto b = Claim(*store_, "worker-a");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(store_->ReleaseZone(*a, /*done=*/false).ok());
  ASSERT_TRUE(store_->ReleaseZone(*b, /*done=*/true).ok());
  auto again = Claim(*store_, "worker-b");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->zone, a->zone);
  EXPECT_TRUE(again->taken_from.empty()) << "released, not taken over";
  EXPECT_FALSE(Claim(*store_, "worker-c")) << "the other zone is done";
  auto leases = store_->ListZoneLeases(kRun);
  ASSERT_TRUE(leases.ok());
  EXPECT_TRUE((*leases)[1].done);
  EXPECT_EQ((*leases)[1].worker_id, "");
  EXPECT_FALSE(store_->ReleaseZone(*b, true).ok()) << "released twice";
}

TEST_P(WorkersStoreTest, AWorkerMayServeOnlySomeZones) {
  SaveZones(4);
  auto c = Claim(*store_, "worker-cn", kLongTtl, {ZoneName(2), ZoneName(3)});
  auto d = Claim(*store_, "worker-cn", kLongTtl, {ZoneName(2), ZoneName(3)});
  ASSERT_TRUE(c && d);
  EXPECT_EQ(c->zone, ZoneName(2));
  EXPECT_EQ(d->zone, ZoneName(3));
  EXPECT_FALSE(Claim(*store_, "worker-cn", kLongTtl, {ZoneName(2), ZoneName(3)}));
  EXPECT_FALSE(Claim(*store_, "worker-x", kLongTtl, {"no-such-zone"}));
  auto rest = Claim(*store_, "worker-any");
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->zone, ZoneName(0));
}

TEST_P(WorkersStoreTest, LeasesOfAnUnknownRunAreNotFound) {
  auto lease = store_->ClaimZone("no-such-run", "w", {}, kLongTtl);
  ASSERT_FALSE(lease.ok());
  EXPECT_EQ(lease.error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->ListZoneLeases("no-such-run").error().category, ErrorCategory::kNotFound);
  auto none = store_->ClaimZone(kRun, "w", {}, kLongTtl);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none) << "a run without zones has nothing to claim";
}

// ---- the rollout ----

RolloutPolicy Policy(int canary, int wave, int64_t allowed) {
  RolloutPolicy p;
  p.canary_size = canary;
  p.wave_size = wave;
  p.allowed_failures = allowed;
  return p;
}

TEST_P(WorkersStoreTest, TheCanaryGatesTheWavesAcrossConnections) {
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->StartRollout(kRun, Policy(1, 2, 5)).ok());
  auto canary = store_->AdmitToWave(kRun, "a", "i-1");
  ASSERT_TRUE(canary.ok()) << canary.error().ToString();
  EXPECT_EQ(canary->decision, AdmitDecision::kAdmitted);
  EXPECT_EQ(canary->wave, 0);
  EXPECT_TRUE(canary->canary);
  EXPECT_EQ(other->AdmitToWave(kRun, "b", "i-2")->decision, AdmitDecision::kWait) << "the canary runs";

  auto status = other->RecordPatchEnd(kRun, "a", "i-1", false);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->stop_reason, "");
  auto second = other->AdmitToWave(kRun, "b", "i-2");
  EXPECT_EQ(second->decision, AdmitDecision::kAdmitted);
  EXPECT_EQ(second->wave, 1);
  EXPECT_FALSE(second->canary);
  EXPECT_EQ(store_->AdmitToWave(kRun, "a", "i-3")->wave, 1);
  EXPECT_EQ(store_->AdmitToWave(kRun, "a", "i-4")->decision, AdmitDecision::kWait) << "wave 1 is full";
  EXPECT_EQ(store_->AdmitToWave(kRun, "b", "i-2")->wave, 1) << "asking again gives the same wave";

  auto now = store_->GetRollout(kRun);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->wave, 1);
  EXPECT_EQ(now->admitted_in_wave, 2);
  EXPECT_EQ(now->ended_in_wave, 0);
}

TEST_P(WorkersStoreTest, AFailedCanaryStopsTheRolloutForEveryWorker) {
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->StartRollout(kRun, Policy(2, 10, 5)).ok());
  ASSERT_EQ(store_->AdmitToWave(kRun, "a", "i-1")->decision, AdmitDecision::kAdmitted);
  ASSERT_EQ(other->AdmitToWave(kRun, "b", "i-2")->decision, AdmitDecision::kAdmitted);
  auto status = store_->RecordPatchEnd(kRun, "a", "i-1", true);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->stop_reason, "canary wave failed: rollout stopped");
  EXPECT_FALSE(status->budget_spent);
  auto later = other->AdmitToWave(kRun, "b", "i-3");
  EXPECT_EQ(later->decision, AdmitDecision::kStopped);
  EXPECT_EQ(later->reason, "canary wave failed: rollout stopped");
  EXPECT_EQ(other->RecordPatchEnd(kRun, "b", "i-2", false)->stop_reason,
            "canary wave failed: rollout stopped");
}

// Two connections patch and fail at once against one budget of 3: each failure is counted once,
// exactly one of them sees the failure that spends it, and from then on nobody is admitted.
TEST_P(WorkersStoreTest, TwoConnectionsShareOneErrorBudget) {
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->StartRollout(kRun, Policy(0, 100, 3)).ok());
  std::atomic<int> spent_seen{0}, admitted{0}, stopped{0};
  std::vector<int64_t> counts_a, counts_b;
  auto work = [&](StateStore* store, const std::string& zone, std::vector<int64_t>* counts) {
    for (int i = 0; i < 6; ++i) {
      const std::string id = zone + "-i-" + std::to_string(i);
      auto a = store->AdmitToWave(kRun, zone, id);
      ASSERT_TRUE(a.ok()) << a.error().ToString();
      if (a->decision != AdmitDecision::kAdmitted) {
        ++stopped;
        EXPECT_EQ(a->decision, AdmitDecision::kStopped);
        EXPECT_EQ(a->reason, "error budget spent (4 failures, 3 allowed): rollout stopped");
        continue;
      }
      ++admitted;
      auto s = store->RecordPatchEnd(kRun, zone, id, true);
      ASSERT_TRUE(s.ok()) << s.error().ToString();
      counts->push_back(s->failures);
      if (s->budget_spent && s->failures == 4) ++spent_seen;
    }
  };
  std::thread t1([&] { work(store_.get(), "a", &counts_a); });
  std::thread t2([&] { work(other.get(), "b", &counts_b); });
  t1.join();
  t2.join();
  EXPECT_EQ(spent_seen.load(), 1);
  std::vector<int64_t> all = counts_a;
  all.insert(all.end(), counts_b.begin(), counts_b.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(all.size());
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<int64_t>(i) + 1;
  EXPECT_EQ(all, expected) << "each failure counted once, one after the other";
  // Admissions check the budget: at most 4 failures happen before everyone sees it spent, and
  // instances admitted before that may still end (failing) after it.
  EXPECT_GE(admitted.load(), 4);
  EXPECT_EQ(admitted.load() + stopped.load(), 12);
  auto status = store_->GetRollout(kRun);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->failures, admitted.load());
  EXPECT_TRUE(status->budget_spent);
  EXPECT_EQ(status->stop_reason, "error budget spent (4 failures, 3 allowed): rollout stopped");
}

// Admissions race on a wave of 3: exactly 3 of the 10 instances get in.
TEST_P(WorkersStoreTest, AWaveNeverTakesMoreThanItsSize) {
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->StartRollout(kRun, Policy(0, 3, 0)).ok());
  std::atomic<int> admitted{0};
  auto work = [&](StateStore* store, const std::string& zone) {
    for (int i = 0; i < 5; ++i) {
      auto a = store->AdmitToWave(kRun, zone, "i-" + std::to_string(i));
      ASSERT_TRUE(a.ok()) << a.error().ToString();
      if (a->decision == AdmitDecision::kAdmitted) ++admitted;
    }
  };
  std::thread t1([&] { work(store_.get(), "a"); });
  std::thread t2([&] { work(other.get(), "b"); });
  t1.join();
  t2.join();
  EXPECT_EQ(admitted.load(), 3);
}

TEST_P(WorkersStoreTest, TheFirstPolicyAndTheFirstEndCount) {
  ASSERT_TRUE(store_->StartRollout(kRun, Policy(1, 5, 0)).ok());
  auto second = store_->StartRollout(kRun, Policy(3, 9, 9));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->policy.canary_size, 1);
  EXPECT_EQ(second->policy.wave_size, 5);
  ASSERT_EQ(store_->AdmitToWave(kRun, "a", "i-1")->decision, AdmitDecision::kAdmitted);
  EXPECT_EQ(store_->RecordPatchEnd(kRun, "a", "i-1", false)->failures, 0);
  EXPECT_EQ(store_->RecordPatchEnd(kRun, "a", "i-1", true)->failures, 0) << "already ended";
  // An end recorded without admission counts against the budget but joins no wave.
  auto outside = store_->RecordPatchEnd(kRun, "a", "i-9", true);
  ASSERT_TRUE(outside.ok());
  EXPECT_EQ(outside->failures, 1);
  EXPECT_TRUE(outside->budget_spent);
  EXPECT_EQ(store_->AdmitToWave(kRun, "a", "i-9")->decision, AdmitDecision::kStopped);
}

TEST_P(WorkersStoreTest, ARolloutMustBeStartedWithASanePolicy) {
  EXPECT_EQ(store_->AdmitToWave(kRun, "a", "i-1").error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->GetRollout(kRun).error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->RecordPatchEnd(kRun, "a", "i-1", true).error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->StartRollout(kRun, Policy(0, 0, 0)).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(store_->StartRollout(kRun, Policy(-1, 5, 0)).error().category, ErrorCategory::kValidation);
  EXPECT_EQ(store_->StartRollout("no-such-run", Policy(1, 5, 0)).error().category, ErrorCategory::kNotFound);
}

FP_INSTANTIATE_FOR_EACH_BACKEND(WorkersStoreTest);

}  // namespace
}  // namespace fleetpatch::state
