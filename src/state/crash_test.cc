// Crash safety: a child process writes batches in a loop and is SIGKILLed at random moments, over
// and over; after each kill the store must pass an integrity check and hold every committed batch
// whole (no half-written batch), and the dead writer's lock must be taken over.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "state/sqlite_state_store.h"
#include "state/state_test_util.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::state {
namespace {

constexpr const char* kRun = "20261125-194200-c2a5e0";
constexpr int kBatch = 40;  // instances per batch
constexpr int kEventsPerBatch = 5;

std::string BatchKey(int round, int batch) {
  return "r" + std::to_string(round) + "b" + std::to_string(batch);
}

// The writer: every batch is three transactions (instances, then their backups, then events), each
// of which must be all-or-nothing.
// name -> count, from a two-column query run on a separate raw connection.
std::map<std::string, int64_t> CountsBy(const std::string& path, const char* sql) {
  std::map<std::string, int64_t> out;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    out[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

[[noreturn]] void Writer(const std::string& path, int round) {
  fleetpatch::testing::FakeClock clock;
  auto store = SqliteStateStore::Open(path, clock);
  if (!store.ok()) _exit(2);
  auto lock = (*store)->AcquireRunLock(kRun);  // stale from the previous round's victim
  if (!lock.ok()) _exit(3);
  for (int b = 0; b < 100000; ++b) {
    const std::string key = BatchKey(round, b);
    std::vector<InstanceInfo> instances;
    std::vector<BackupUpdate> backups;
    std::vector<Event> events;
    for (int i = 0; i < kBatch; ++i) {
      InstanceInfo inst = testutil::SampleInstance("zone-" + key, key + "-i" + std::to_string(i));
      inst.name = key;
      instances.push_back(inst);
      BackupResult backup = testutil::SampleBackup();
      backup.ami_id = "ami-" + key;
      backups.push_back({inst.zone, inst.instance_id, backup});
    }
    for (int e = 0; e < kEventsPerBatch; ++e)
      events.push_back({0, "", "info", "zone-" + key, "", "backup", key});
    if (!(*store)->SaveInstances(kRun, instances).ok()) _exit(4);
    if (!(*store)->SaveBackups(kRun, backups).ok()) _exit(5);
    if (!(*store)->AppendEvents(kRun, events).ok()) _exit(6);
  }
  _exit(0);
}

TEST(CrashTest, KilledWriterLeavesAConsistentStore) {
  fleetpatch::testing::TempDir dir;
  fleetpatch::testing::FakeClock clock;
  const std::string path = (dir.path() / "state.db").string();
  {
    auto store = SqliteStateStore::Open(path, clock);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    ASSERT_TRUE((*store)->CreateRun(testutil::SampleRun(kRun)).ok());
  }

  std::mt19937 rng(20261125);  // fixed seed: the kill delays are reproducible (scheduling is not)
  std::uniform_int_distribution<int> delay_ms(5, 60);
  constexpr int kRounds = 20;
  int64_t total_batches = 0;
  // A slow machine (or a sanitizer's fork) may not let a writer commit anything within the delay:
  // until one has, each round waits twice as long, so the kills still land mid-batch.
  int slow_factor = 1;
  for (int round = 0; round < kRounds; ++round) {
    // No connection is open across fork(): SQLite connections must not be shared with a child.
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) Writer(path, round);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng) * slow_factor));
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    // Killed, or (rarely) exited with 0 after finishing; any other exit code is a writer error.
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "round " << round << ": writer exited with " << WEXITSTATUS(status);

    auto store = SqliteStateStore::Open(path, clock);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.error().ToString();
    auto integrity = (*store)->CheckIntegrity();
    ASSERT_TRUE(integrity.ok()) << "round " << round << ": " << integrity.error().ToString();

    // Grouped in SQL: decoding every instance after every round would make the test slow.
    auto instances = CountsBy(path, "SELECT name, count(*) FROM instances GROUP BY name");
    auto backups = CountsBy(path,
                            "SELECT name, count(*) FROM instances WHERE backup_status IS NOT NULL "
                            "AND json_extract(backup_json, '$.ami_id') = 'ami-' || name GROUP BY name");
    auto any_backups =
        CountsBy(path, "SELECT name, count(*) FROM instances WHERE backup_status IS NOT NULL GROUP BY name");
    auto events =
        CountsBy(path, "SELECT message, count(*) FROM events WHERE phase = 'backup' GROUP BY message");
    // Each batch is whole at each step, and a later step exists only if the earlier one does.
    for (const auto& [key, n] : instances) EXPECT_EQ(n, kBatch) << "instances of batch " << key;
    EXPECT_EQ(backups, any_backups) << "a backup with the wrong AMI id";
    for (const auto& [key, n] : backups) {
      EXPECT_EQ(n, kBatch) << "backups of batch " << key;
      EXPECT_EQ(instances.count(key), 1u) << key;
    }
    for (const auto& [key, n] : events) {
      EXPECT_EQ(n, kEventsPerBatch) << "events of batch " << key;
      EXPECT_EQ(backups.count(key), 1u) << key;
    }
    total_batches = static_cast<int64_t>(instances.size());
    if (total_batches == 0 && slow_factor < 64) slow_factor *= 2;

    // The dead writer's lock is stale: this process takes it over (then releases it).
    auto lock = (*store)->AcquireRunLock(kRun);
    ASSERT_TRUE(lock.ok()) << "round " << round << ": " << lock.error().ToString();
    if (::testing::Test::HasFailure()) break;
  }
  // Everything committed also decodes through the API.
  auto store = SqliteStateStore::Open(path, clock);
  ASSERT_TRUE(store.ok());
  auto snap = (*store)->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok()) << snap.error().ToString();
  EXPECT_EQ(static_cast<int64_t>(snap->instances.size()), total_batches * kBatch);
  // The test is only meaningful if writers got work committed before being killed.
  EXPECT_GT(total_batches, 0);
}

}  // namespace
}  // namespace fleetpatch::state
