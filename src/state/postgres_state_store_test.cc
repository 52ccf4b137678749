// What only the PostgreSQL store has: URL redaction, text made valid for the server, schema
// ownership checks and run locks held by a server session. The behaviour it shares with the
// SQLite store is tested for both in sqlite_state_store_test.cc (StoreContractTest).
#include "state/postgres_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state/postgres_conn.h"
#include "state/postgres_schema.h"
#include "state/store_backends_for_test.h"

namespace fleetpatch::state {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PostgresUrl, PasswordsAreNeverShown) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://app:s3cret@db.internal:5432/fp?sslmode=verify-full"),
            "postgresql://app:***@db.internal:5432/fp?sslmode=verify-full");
  EXPECT_EQ(RedactPostgresUrl("postgres://db/fp?user=app&password=s3cret&sslmode=require"),
            "postgres://db/fp?user=app&password=***&sslmode=require");
  EXPECT_EQ(RedactPostgresUrl("host=db password='a b' user=x"), "host=db password=*** user=x");
  EXPECT_EQ(RedactPostgresUrl("postgresql://app@db/fp"), "postgresql://app@db/fp");
  EXPECT_TRUE(IsPostgresUrl("postgresql://x"));
  EXPECT_TRUE(IsPostgresUrl("postgres://x"));
  EXPECT_FALSE(IsPostgresUrl(".fleetpatch/state.db"));
}

TEST(PostgresUrl, AFailedConnectionNamesTheServerButNotThePassword) {
  fleetpatch::testing::FakeClock clock;
  // A socket directory that does not exist: libpq fails at once, without the network.
  auto store = PostgresStateStore::Open("postgresql://app:s3cret@/fp?host=/nonexistent-dir", clock);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConnectivity);
  EXPECT_THAT(store.error().message, Not(HasSubstr("s3cret")));
  EXPECT_THAT(store.error().message, HasSubstr("app:***@"));
}

TEST(PostgresText, InvalidUtf8AndNulBecomeReplacementCharacters) {
  EXPECT_EQ(ValidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(ValidUtf8(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xff\xfe"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");                  // cut
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FP_REQUIRE_POSTGRES(url_);
    auto store = PostgresStateStore::Open(url_, clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
  }
  std::string url_;
  fleetpatch::testing::FakeClock clock_;
  std::unique_ptr<PostgresStateStore> store_;
};

TEST_F(PostgresStoreTest, RecordsTheSchemaVersionAndRefusesANewerStore) {
  store_.reset();
  ASSERT_TRUE(fleetpatch::testing::ExecuteSql(url_, "UPDATE fleetpatch_schema SET version = 99").ok());
  auto newer = PostgresStateStore::Open(url_, clock_);
  ASSERT_FALSE(newer.ok());
  EXPECT_EQ(newer.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(newer.error().message, HasSubstr("schema version 99"));
}

TEST_F(PostgresStoreTest, LeavesTablesOfAnotherApplicationAlone) {
  std::string other;
  FP_REQUIRE_POSTGRES(other);
  ASSERT_TRUE(fleetpatch::testing::ExecuteSql(other, "CREATE TABLE runs (id int)").ok());
  auto store = PostgresStateStore::Open(other, clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(store.error().message, HasSubstr("did not create"));
}

TEST_F(PostgresStoreTest, ReadOnlyOpeningOfAnEmptyDatabaseIsNotFound) {
  std::string empty;
  FP_REQUIRE_POSTGRES(empty);
  PostgresStateStoreOptions ro;
  ro.read_only = true;
  auto store = PostgresStateStore::Open(empty, clock_, ro);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kNotFound);
}

TEST_F(PostgresStoreTest, AKilledHoldersLockIsFreedByTheServer) {
  const std::string run = "20261125-194200-00000k";
  ASSERT_TRUE(store_->CreateRun(testutil::SampleRun(run)).ok());
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // holds the lock until killed
    auto store = PostgresStateStore::Open(url_, clock_);
    if (!store.ok()) _exit(2);
    auto lock = (*store)->AcquireRunLock(run);
    if (!lock.ok()) _exit(3);
    (void)!::write(ready[1], "x", 1);
    for (;;) ::pause();
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  auto refused = store_->AcquireRunLock(run);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().category, ErrorCategory::kValidation);
  EXPECT_THAT(refused.error().message, HasSubstr("process " + std::to_string(child)));
  auto holder = store_->GetRunLockHolder(run);
  ASSERT_TRUE(holder.ok() && holder->has_value());
  EXPECT_EQ((*holder)->pid, child);

  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  // The server ends the dead client's session when it reads EOF from its socket; that happens
  // asynchronously, so ask again until it has (bounded by attempts, not by time).
  Result<std::unique_ptr<RunLock>> taken = Error::Internal("not tried");
  for (int attempt = 0; attempt < 200 && !taken.ok(); ++attempt) {
    taken = store_->AcquireRunLock(run);
    if (!taken.ok()) ::usleep(20000);
  }
  ASSERT_TRUE(taken.ok()) << taken.error().ToString();
  auto events = store_->LoadEvents(run);
  ASSERT_TRUE(events.ok());
  ASSERT_FALSE(events->empty());
  EXPECT_THAT(events->back().message, HasSubstr("took over the lock of process " + std::to_string(child)));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST_F(PostgresStoreTest, ReleasingALockLetsTheNextHolderInAndClearsTheHolder) {
  const std::string run = "20261125-194200-00000r";
  ASSERT_TRUE(store_->CreateRun(testutil::SampleRun(run)).ok());
  auto lock = store_->AcquireRunLock(run);
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  ASSERT_TRUE((*lock)->Release().ok());
  auto holder = store_->GetRunLockHolder(run);
  ASSERT_TRUE(holder.ok());
  EXPECT_FALSE(holder->has_value());
  auto again = store_->AcquireRunLock(run);
  EXPECT_TRUE(again.ok());
}

// The claim skips a zone whose row another transaction holds locked (a worker in the middle of
// its own claim) instead of waiting for it: the essence of FOR UPDATE SKIP LOCKED.
TEST_F(PostgresStoreTest, AClaimSkipsAZoneAnotherTransactionHoldsLocked) {
  const std::string run = "20261125-194200-00000z";
  ASSERT_TRUE(store_->CreateRun(testutil::SampleRun(run)).ok());
  ASSERT_TRUE(store_
                  ->SaveZones(run, {{"zone-a", "012345678901", "eu-west-1", ""},
                                    {"zone-b", "012345678901", "eu-west-1", ""}})
                  .ok());
  auto first = store_->ClaimZone(run, "worker-a", {}, std::chrono::seconds(60));
  ASSERT_TRUE(first.ok() && first->has_value());
  ASSERT_TRUE(store_->ReleaseZone(**first, false).ok());  // zone-a is free again, its row exists

  auto other = PgConn::Connect(url_);
  ASSERT_TRUE(other.ok()) << other.error().ToString();
  ASSERT_TRUE((*other)->ExecScript("BEGIN", "test").ok());
  auto locked = (*other)->Exec(
      "SELECT zone FROM zone_leases WHERE run_id = $1 AND zone = 'zone-a' FOR UPDATE", {run}, "test");
  ASSERT_TRUE(locked.ok() && locked->rows() == 1);

  auto claim = store_->ClaimZone(run, "worker-b", {}, std::chrono::seconds(60));
  ASSERT_TRUE(claim.ok()) << claim.error().ToString();
  ASSERT_TRUE(claim->has_value());
  EXPECT_EQ((*claim)->zone, "zone-b") << "zone-a is locked: skipped, not waited for";
  auto none = store_->ClaimZone(run, "worker-c", {}, std::chrono::seconds(60));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE((*other)->ExecScript("ROLLBACK", "test").ok());
  auto after = store_->ClaimZone(run, "worker-c", {}, std::chrono::seconds(60));
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->zone, "zone-a");
}

}  // namespace
}  // namespace fleetpatch::state
