// Every transition of the per-instance state machine (docs/pipeline.md), and every event refused
// where it cannot happen.
#include "workflow/instance_state.h"

#include <gtest/gtest.h>

namespace fleetpatch::workflow {
namespace {

using E = InstanceEvent;

InstanceState Preparing(bool backup_required = true) {
  InstanceState s;
  s.backup_required = backup_required;
  return s;
}

InstanceState After(std::initializer_list<E> events, InstanceState s = Preparing()) {
  for (E e : events) EXPECT_TRUE(Apply(s, e)) << EventName(e) << " in " << StageName(s.stage);
  return s;
}

TEST(InstanceStateTest, BackupThenPrecheckQueues) {
  InstanceState s = After({E::kBackupAvailable});
  EXPECT_EQ(s.stage, Stage::kPreparing);  // the precheck still runs
  EXPECT_TRUE(Apply(s, E::kPrecheckReady));
  EXPECT_EQ(s.stage, Stage::kQueued);
}

TEST(InstanceStateTest, AnAmiAvailableOnlyAfterThePrecheckStillQueues) {
  InstanceState s = After({E::kPrecheckReady});
  EXPECT_EQ(s.stage, Stage::kPreparing);  // ready, but its AMI is pending: not in any wave yet
  EXPECT_TRUE(Apply(s, E::kBackupAvailable));
  EXPECT_EQ(s.stage, Stage::kQueued);
}

TEST(InstanceStateTest, AFailedAmiBlocksWhateverThePrecheckSays) {
  EXPECT_EQ(After({E::kBackupFailed, E::kPrecheckReady}).stage, Stage::kBlocked);
  EXPECT_EQ(After({E::kPrecheckReady, E::kBackupFailed}).stage, Stage::kBlocked);
  InstanceState s = After({E::kBackupFailed, E::kPrecheckReady});
  EXPECT_FALSE(Apply(s, E::kWaveStarted));  // never patched
  EXPECT_EQ(s.stage, Stage::kBlocked);
}

TEST(InstanceStateTest, AFailedAmiDoesNotBlockWhenBackupsAreNotRequired) {
  EXPECT_EQ(After({E::kBackupFailed, E::kPrecheckReady}, Preparing(false)).stage, Stage::kQueued);
  // ... but the patch still waits for the backup to be over.
  EXPECT_EQ(After({E::kPrecheckReady}, Preparing(false)).stage, Stage::kPreparing);
}

TEST(InstanceStateTest, APrecheckNotReadyBlocks) {
  EXPECT_EQ(After({E::kPrecheckNotReady, E::kBackupAvailable}).stage, Stage::kBlocked);
  EXPECT_EQ(After({E::kBackupAvailable, E::kPrecheckNotReady}).stage, Stage::kBlocked);
}

TEST(InstanceStateTest, NoBackupNeededQueuesOnTheReadyPrecheck) {
  InstanceState s = Preparing();
  s.backup = PartState::kNotNeeded;
  EXPECT_TRUE(Apply(s, E::kPrecheckReady));
  EXPECT_EQ(s.stage, Stage::kQueued);
  EXPECT_FALSE(Apply(s, E::kBackupAvailable));  // no backup runs
}

TEST(InstanceStateTest, QueuedThenWaveThenPatchEnded) {
  InstanceState s = After({E::kBackupAvailable, E::kPrecheckReady, E::kWaveStarted});
  EXPECT_EQ(s.stage, Stage::kPatching);
  EXPECT_FALSE(Apply(s, E::kWaveStarted));     // one wave per instance
  EXPECT_FALSE(Apply(s, E::kRolloutStopped));  // a patch in flight is watched to its end
  EXPECT_TRUE(Apply(s, E::kPatchEnded));
  EXPECT_EQ(s.stage, Stage::kPatched);
  EXPECT_FALSE(Apply(s, E::kPatchEnded));
  EXPECT_FALSE(Apply(s, E::kWaveStarted));  // never patched twice
}

TEST(InstanceStateTest, RolloutStoppedWhileQueued) {
  InstanceState s = After({E::kBackupAvailable, E::kPrecheckReady, E::kRolloutStopped});
  EXPECT_EQ(s.stage, Stage::kStopped);
  EXPECT_FALSE(Apply(s, E::kWaveStarted));
}

TEST(InstanceStateTest, EventsRefusedWhereTheyCannotHappen) {
  InstanceState s = Preparing();
  EXPECT_FALSE(Apply(s, E::kWaveStarted));
  EXPECT_FALSE(Apply(s, E::kPatchEnded));
  EXPECT_FALSE(Apply(s, E::kRolloutStopped));
  EXPECT_TRUE(Apply(s, E::kBackupAvailable));
  EXPECT_FALSE(Apply(s, E::kBackupFailed));  // one verdict per part
  EXPECT_TRUE(Apply(s, E::kPrecheckReady));
  EXPECT_FALSE(Apply(s, E::kPrecheckNotReady));
  EXPECT_EQ(s.stage, Stage::kQueued);
}

InstanceRun Record(std::optional<BackupStatus> b, std::optional<PrecheckStatus> p,
                   std::optional<PatchStatus> patch, std::string command_id = "") {
  InstanceRun r;
  if (b) r.backup = BackupResult{}, r.backup->status = *b;
  if (p) r.precheck = PrecheckResult{}, r.precheck->status = *p;
  if (patch) r.patch = PatchResult{}, r.patch->status = *patch, r.patch->command_id = command_id;
  return r;
}

TEST(InstanceStateTest, FromTheRecordAResumedRunPicksUpWhereItWas) {
  auto stage = [](const InstanceRun& r, bool prepare = true) {
    return StateFromRecord(r, /*backup_enabled=*/true, /*backup_required=*/true, prepare).stage;
  };
  EXPECT_EQ(stage(Record({}, {}, {})), Stage::kPreparing);
  EXPECT_EQ(stage(Record(BackupStatus::kPending, PrecheckStatus::kReady, {})), Stage::kPreparing);
  EXPECT_EQ(stage(Record(BackupStatus::kAvailable, PrecheckStatus::kReady, {})), Stage::kQueued);
  EXPECT_EQ(stage(Record(BackupStatus::kFailed, PrecheckStatus::kReady, {})), Stage::kBlocked);
  EXPECT_EQ(
      stage(Record(BackupStatus::kAvailable, PrecheckStatus::kReady, PatchStatus::kInProgress, "cmd-1")),
      Stage::kPatching);
  EXPECT_EQ(stage(Record(BackupStatus::kAvailable, PrecheckStatus::kReady, PatchStatus::kSuccess)),
            Stage::kPatched);
  EXPECT_EQ(stage(Record(BackupStatus::kAvailable, PrecheckStatus::kReady, PatchStatus::kFailed)),
            Stage::kPatched);
  // A skip is decided again (the rollout may have stopped for reasons now gone).
  EXPECT_EQ(stage(Record(BackupStatus::kAvailable, PrecheckStatus::kReady, PatchStatus::kSkipped)),
            Stage::kQueued);
  // A patch-only run runs no backup or precheck: what is missing blocks.
  EXPECT_EQ(stage(Record(BackupStatus::kPending, PrecheckStatus::kReady, {}), false), Stage::kBlocked);
  EXPECT_EQ(stage(Record(BackupStatus::kAvailable, {}, {}), false), Stage::kBlocked);
  // Backups off: a missing backup is not needed.
  EXPECT_EQ(StateFromRecord(Record({}, PrecheckStatus::kReady, {}), false, true, true).stage, Stage::kQueued);
}

}  // namespace
}  // namespace fleetpatch::workflow
