// Run locks across processes: each test forks real processes, because the lock's whole point is
// that a second fleetpatch process is refused (and a dead one's lock is taken over).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "state/sqlite_state_store.h"
#include "state/state_test_util.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::state {
namespace {

using ::testing::HasSubstr;

constexpr const char* kRun = "20261125-194200-10c4ed";

// Child exit codes.
constexpr int kChildAcquired = 10;
constexpr int kChildRefused = 11;
constexpr int kChildError = 12;

std::string Host() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Blocks until the other end writes a byte or is closed.
void WaitOn(int fd) {
  char c;
  while (read(fd, &c, 1) < 0 && errno == EINTR) {
  }
}

class RunLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "state.db").string();
    auto store = Open();
    ASSERT_TRUE((*store)->CreateRun(testutil::SampleRun(kRun)).ok());
  }

  Result<std::unique_ptr<SqliteStateStore>> Open() { return SqliteStateStore::Open(path_, clock_); }

  // In a forked child: open a fresh connection, try to lock, report through the exit code. When
  // `hold_fd` >= 0 the child keeps a granted lock until that pipe is closed; when `leak` is true it
  // exits without releasing (as if it crashed).
  [[noreturn]] void ChildTryLock(int start_fd, int hold_fd, bool leak) {
    auto store = Open();
    if (!store.ok()) _exit(kChildError);
    if (start_fd >= 0) WaitOn(start_fd);
    auto lock = (*store)->AcquireRunLock(kRun);
    if (!lock.ok()) _exit(lock.error().category == ErrorCategory::kValidation ? kChildRefused : kChildError);
    if (hold_fd >= 0) WaitOn(hold_fd);
    if (leak) _exit(kChildAcquired);  // no destructors: the lock row stays behind
    lock->reset();
    store->reset();
    _exit(kChildAcquired);
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::string path_;
};

TEST_F(RunLockTest, SecondProcessIsRefusedWithTheHolderNamed) {
  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto lock = (*store)->AcquireRunLock(kRun);
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) ChildTryLock(-1, -1, false);
  EXPECT_EQ(WaitExitCode(child), kChildRefused);

  auto holder = (*store)->GetRunLockHolder(kRun);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ((*holder)->pid, getpid());
  EXPECT_EQ((*holder)->host, Host());
  EXPECT_EQ((*holder)->since, "2015-08-30T12:36:00Z");

  // Released: the next process gets it.
  ASSERT_TRUE((*lock)->Release().ok());
  child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) ChildTryLock(-1, -1, false);
  EXPECT_EQ(WaitExitCode(child), kChildAcquired);
}

TEST_F(RunLockTest, RefusalMessageNamesPidHostAndTime) {
  int hold[2];
  ASSERT_EQ(pipe(hold), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(hold[1]);
    ChildTryLock(-1, hold[0], false);
  }
  close(hold[0]);

  auto store = Open();
  ASSERT_TRUE(store.ok());
  // Wait (bounded) until the child holds the lock.
  bool held = false;
  for (int i = 0; i < 500 && !held; ++i) {
    auto h = (*store)->GetRunLockHolder(kRun);
    held = h.ok() && h->has_value() && (*h)->pid == child;
    if (!held) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(held);

  auto refused = (*store)->AcquireRunLock(kRun);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::kValidation);
  EXPECT_THAT(refused.error().message, HasSubstr("process " + std::to_string(child)));
  EXPECT_THAT(refused.error().message, HasSubstr("host " + Host()));
  EXPECT_THAT(refused.error().message, HasSubstr("since 2015-08-30T12:36:00Z"));
  EXPECT_THAT(refused.error().message, HasSubstr(kRun));

  close(hold[1]);  // let the child release and exit
  EXPECT_EQ(WaitExitCode(child), kChildAcquired);
  auto lock = (*store)->AcquireRunLock(kRun);
  EXPECT_TRUE(lock.ok()) << lock.error().ToString();
}

TEST_F(RunLockTest, StaleLockOfADeadProcessIsTakenOver) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) ChildTryLock(-1, -1, /*leak=*/true);
  ASSERT_EQ(WaitExitCode(child), kChildAcquired);  // reaped: the pid no longer exists

  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto before = (*store)->GetRunLockHolder(kRun);
  ASSERT_TRUE(before.ok() && before->has_value());
  EXPECT_EQ((*before)->pid, child);

  auto lock = (*store)->AcquireRunLock(kRun);
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  auto after = (*store)->GetRunLockHolder(kRun);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->pid, getpid());
  auto events = (*store)->LoadEvents(kRun);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_THAT(events->back().message, HasSubstr("took over the lock of process " + std::to_string(child)));
  EXPECT_EQ(events->back().level, "warning");
}

TEST_F(RunLockTest, ExactlyOneOfManyTakersWinsAStaleLock) {
  pid_t dead = fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ChildTryLock(-1, -1, /*leak=*/true);
  ASSERT_EQ(WaitExitCode(dead), kChildAcquired);

  constexpr int kTakers = 4;
  int start[2], hold[2];
  ASSERT_EQ(pipe(start), 0);
  ASSERT_EQ(pipe(hold), 0);
  std::vector<pid_t> kids;
  for (int i = 0; i < kTakers; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(start[1]);
      close(hold[1]);
      ChildTryLock(start[0], hold[0], false);  // the winner holds until `hold` closes
    }
    kids.push_back(pid);
  }
  close(start[0]);
  close(hold[0]);
  close(start[1]);  // go: all takers race for the stale lock

  // The losers exit on their own; the winner waits for `hold`. Collect exits with a deadline.
  int acquired = 0, refused = 0, other = 0, exited = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (exited < kTakers - 1 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    ++exited;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    (code == kChildRefused ? refused : code == kChildAcquired ? acquired : other)++;
  }
  close(hold[1]);  // release the winner
  while (exited < kTakers) {
    int status = 0;
    if (waitpid(-1, &status, 0) <= 0) break;
    ++exited;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    (code == kChildRefused ? refused : code == kChildAcquired ? acquired : other)++;
  }
  EXPECT_EQ(acquired, 1);
  EXPECT_EQ(refused, kTakers - 1);
  EXPECT_EQ(other, 0);
}

TEST_F(RunLockTest, LiveHolderIsRespectedEvenInTheSameProcess) {
  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto first = (*store)->AcquireRunLock(kRun);
  ASSERT_TRUE(first.ok());
  auto second = (*store)->AcquireRunLock(kRun);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().category, ErrorCategory::kValidation);
  first->reset();  // the destructor releases
  EXPECT_TRUE((*store)->AcquireRunLock(kRun).ok());
}

// Lock rows written directly, for holders the API cannot produce from one process.
void InsertLock(const std::string& path, int64_t pid, const std::string& host, const std::string& pid_start) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(raw,
                         "INSERT OR REPLACE INTO run_locks (run_id, pid, host, pid_start, token, since) "
                         "VALUES (?1, ?2, ?3, ?4, 'tok', '2026-11-25T19:00:00Z')",
                         -1, &st, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(st, 1, kRun, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, pid);
  sqlite3_bind_text(st, 3, host.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, pid_start.c_str(), -1, SQLITE_TRANSIENT);
  EXPECT_EQ(sqlite3_step(st), SQLITE_DONE);
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

TEST_F(RunLockTest, AReusedPidDoesNotKeepAStaleLock) {
  // Our parent is alive, but the recorded start time is not its: the pid was reused.
  InsertLock(path_, getppid(), Host(), "1");
  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto lock = (*store)->AcquireRunLock(kRun);
  EXPECT_TRUE(lock.ok()) << lock.error().ToString();
}

TEST_F(RunLockTest, ALiveHolderWithoutStartTimeIsRespected) {
  InsertLock(path_, getppid(), Host(), "");
  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto lock = (*store)->AcquireRunLock(kRun);
  ASSERT_FALSE(lock.ok());
  EXPECT_THAT(lock.error().message, HasSubstr("process " + std::to_string(getppid())));
  EXPECT_THAT(lock.error().message, HasSubstr("since 2026-11-25T19:00:00Z"));
}

TEST_F(RunLockTest, ALockFromAnotherHostIsNeverTakenOverAutomatically) {
  // pid 999999999 cannot exist here, but on the other host it may.
  InsertLock(path_, 999999999, "other-host.example", "");
  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto lock = (*store)->AcquireRunLock(kRun);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().category, ErrorCategory::kValidation);
  EXPECT_THAT(lock.error().message, HasSubstr("host other-host.example"));
  EXPECT_THAT(lock.error().message, HasSubstr("another host"));

  ASSERT_TRUE((*store)->BreakRunLock(kRun).ok());
  EXPECT_TRUE((*store)->AcquireRunLock(kRun).ok());
}

TEST_F(RunLockTest, ReadersNeedNoLock) {
  auto store = Open();
  ASSERT_TRUE(store.ok());
  auto lock = (*store)->AcquireRunLock(kRun);
  ASSERT_TRUE(lock.ok());
  SqliteStateStoreOptions ro;
  ro.read_only = true;
  auto reader = SqliteStateStore::Open(path_, clock_, ro);
  ASSERT_TRUE(reader.ok()) << reader.error().ToString();
  EXPECT_TRUE((*reader)->LoadSnapshot(kRun).ok());
  EXPECT_TRUE((*reader)->ListRuns(10).ok());
}

}  // namespace
}  // namespace fleetpatch::state
