// The state store's OS seam: PosixStoreEnv against the real system, and the store driven through a
// FaultyStoreEnv (failing directory and file creation, other hosts, live, dead and reused pids).
#include "state/store_env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "state/sqlite_state_store.h"
#include "state/state_test_util.h"
#include "state/store_env_test_util.h"
#include "testing/fake_clock.h"
#include "testing/testdata.h"

namespace fleetpatch::state {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr const char* kRun = "20261125-194200-10c4ed";

uint32_t ModeOf(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0xFFFF;
}

TEST(PosixStoreEnvTest, CreatesDirectoriesAndFilesWithExactModesWhateverTheUmask) {
  fleetpatch::testing::TempDir dir;
  PosixStoreEnv env;
  const std::string sub = (dir.path() / "d").string();
  const std::string file = (dir.path() / "f").string();
  const mode_t old_umask = ::umask(022);
  ASSERT_TRUE(env.CreateDir(sub, 0701).ok());
  EXPECT_TRUE(env.CreateDir(sub, 0701).ok());  // already there: fine
  Result<bool> first = env.CreateNewFile(file, 0640);
  Result<bool> second = env.CreateNewFile(file, 0600);
  ::umask(old_umask);
  EXPECT_EQ(ModeOf(sub), 0701u);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_EQ(ModeOf(file), 0640u);  // the second call changed nothing
  env.RestrictMode(file, 0600);
  EXPECT_EQ(ModeOf(file), 0600u);
  EXPECT_TRUE(env.Exists(file));
  EXPECT_FALSE(env.Exists(file + ".missing"));
}

TEST(PosixStoreEnvTest, ReportsTheOsReasonWhenCreationFails) {
  PosixStoreEnv env;
  Status dir = env.CreateDir("/nonexistent-parent-fp/child", 0700);
  ASSERT_FALSE(dir.ok());
  EXPECT_THAT(dir.error().message, HasSubstr("No such file"));
  Result<bool> file = env.CreateNewFile("/nonexistent-parent-fp/file", 0600);
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.error().message, HasSubstr("No such file"));
}

TEST(PosixStoreEnvTest, TellsALiveProcessFromAReapedOne) {
  PosixStoreEnv env;
  EXPECT_EQ(env.ProcessId(), ::getpid());
  EXPECT_TRUE(env.ProcessExists(::getpid()));
  EXPECT_FALSE(env.ProcessStartTime(::getpid()).empty());
  EXPECT_FALSE(env.HostName().empty());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(env.ProcessExists(child));
  EXPECT_EQ(env.ProcessStartTime(child), "");
  EXPECT_FALSE(env.ProcessExists(0));
}

class StoreOnFaultyEnvTest : public ::testing::Test {
 protected:
  Result<std::unique_ptr<SqliteStateStore>> Open(testutil::FaultyStoreEnv& env) {
    SqliteStateStoreOptions options;
    options.env = &env;
    return SqliteStateStore::Open(path_, clock_, options);
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::string path_ = (dir_.path() / "a" / "b" / "state.db").string();
};

TEST_F(StoreOnFaultyEnvTest, ADirectoryThatCannotBeCreatedIsAConfigErrorNamingIt) {
  testutil::FaultyStoreEnv env;
  env.failing_dirs.insert((dir_.path() / "a" / "b").string());
  auto store = Open(env);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(store.error().message,
              HasSubstr("cannot create directory " + (dir_.path() / "a" / "b").string()));
  EXPECT_THAT(store.error().message, HasSubstr("Permission denied (injected)"));
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(StoreOnFaultyEnvTest, AFileThatCannotBeCreatedIsAConfigErrorNamingIt) {
  testutil::FaultyStoreEnv env;
  env.failing_files.insert(path_);
  auto store = Open(env);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(store.error().message, HasSubstr("cannot create state store " + path_));
  EXPECT_FALSE(fs::exists(path_));  // SQLite never got to create it with its own permissions
}

TEST_F(StoreOnFaultyEnvTest, OpeningTightensTheDatabaseAndItsWalAndShmFiles) {
  testutil::FaultyStoreEnv env;
  ASSERT_TRUE(Open(env).ok());
  using Call = std::pair<std::string, uint32_t>;
  EXPECT_EQ(env.restricted,
            (std::vector<Call>{{path_, 0600u}, {path_ + "-wal", 0600u}, {path_ + "-shm", 0600u}}));
}

// A lock taken by "process 4242 on host h1", as the env says; then a second process asks.
class LockOnFaultyEnvTest : public StoreOnFaultyEnvTest {
 protected:
  void SetUp() override {
    holder_env_.host_name = "h1";
    holder_env_.process_id = 4242;
    holder_env_.processes[4242] = "100";
    auto opened = Open(holder_env_);
    ASSERT_TRUE(opened.ok()) << opened.error().ToString();
    holder_ = std::move(*opened);
    ASSERT_TRUE(holder_->CreateRun(testutil::SampleRun(kRun)).ok());
    auto lock = holder_->AcquireRunLock(kRun);
    ASSERT_TRUE(lock.ok()) << lock.error().ToString();
    held_ = std::move(*lock);
    taker_env_.host_name = "h1";
    taker_env_.process_id = 5151;
    taker_env_.processes = {{5151, "300"}, {4242, "100"}};
  }

  Result<std::unique_ptr<RunLock>> TakerTries() {
    auto store = Open(taker_env_);
    if (!store.ok()) return store.error();
    taker_ = std::move(*store);
    return taker_->AcquireRunLock(kRun);
  }

  testutil::FaultyStoreEnv holder_env_, taker_env_;
  std::unique_ptr<SqliteStateStore> holder_, taker_;
  std::unique_ptr<RunLock> held_;
};

TEST_F(LockOnFaultyEnvTest, TheLockRecordsTheEnvsPidAndHost) {
  auto holder = holder_->GetRunLockHolder(kRun);
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->pid, 4242);
  EXPECT_EQ((*holder)->host, "h1");
}

TEST_F(LockOnFaultyEnvTest, ALiveHolderWithTheSameStartTimeIsRespected) {
  auto lock = TakerTries();
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().category, ErrorCategory::kValidation);
  EXPECT_THAT(lock.error().message, HasSubstr("in use by process 4242 on host h1"));
}

TEST_F(LockOnFaultyEnvTest, AGoneHolderIsTakenOverWithAWarning) {
  taker_env_.gone.insert(4242);
  auto lock = TakerTries();
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  auto holder = taker_->GetRunLockHolder(kRun);
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->pid, 5151);
  auto events = taker_->LoadEvents(kRun);
  ASSERT_TRUE(events.ok() && !events->empty());
  EXPECT_THAT(events->back().message, HasSubstr("took over the lock of process 4242 on host h1"));
}

TEST_F(LockOnFaultyEnvTest, AReusedPidIsTakenOver) {
  taker_env_.processes[4242] = "999";  // alive, but started after the lock was taken
  EXPECT_TRUE(TakerTries().ok());
}

TEST_F(LockOnFaultyEnvTest, AHolderOnAnotherHostIsRefusedEvenIfThePidIsFreeHere) {
  taker_env_.host_name = "h2";
  taker_env_.gone.insert(4242);
  auto lock = TakerTries();
  ASSERT_FALSE(lock.ok());
  EXPECT_THAT(lock.error().message, HasSubstr("another host"));
}

}  // namespace
}  // namespace fleetpatch::state
