#include "state/sqlite_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "state/schema.h"
#include "state/secrets.h"
#include "state/state_test_util.h"
#include "state/store_backends_for_test.h"
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

namespace fs = std::filesystem;

constexpr const char* kRun = "20261125-194200-3f9a1c";

mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

// Runs raw SQL against a store file, for setting up states the API never produces.
void RawExec(const fs::path& db, const std::string& sql) {
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(raw);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / ".fleetpatch" / "state.db").string();
    auto store = SqliteStateStore::Open(path_, clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
  }

  void CreateSampleRun(const std::string& id = kRun) {
    auto s = store_->CreateRun(SampleRun(id));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::string path_;
  std::unique_ptr<SqliteStateStore> store_;
};

// The tests every backend must pass: each runs on SQLite and on PostgreSQL.
class StoreContractTest : public StoreBackendTest {
 protected:
  void CreateSampleRun(const std::string& id = kRun) { StoreBackendTest::CreateSampleRun(id); }
};
FP_INSTANTIATE_FOR_EACH_BACKEND(StoreContractTest);

// ---- opening, schema, permissions ----

TEST_F(StoreTest, MigratesAnEmptyFileToTheCurrentVersion) {
  store_.reset();
  const fs::path empty = dir_.path() / "empty.db";
  std::ofstream(empty).close();  // a zero-byte file is an empty SQLite database
  auto store = SqliteStateStore::Open(empty.string(), clock_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_TRUE((*store)->CheckIntegrity().ok());
  store->reset();

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(empty.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), SchemaVersion());
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

TEST_P(StoreContractTest, ReopeningKeepsDataAndDoesNotMigrateAgain) {
  CreateSampleRun();
  store_.reset();
  auto again = OpenAgain();
  ASSERT_TRUE(again);
  auto run = again->GetRun(kRun);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(run->user, "alice");
}

TEST_F(StoreTest, MigrationsAreOrderedAndEndAtTheSchemaVersion) {
  int last = 0;
  for (const Migration& m : Migrations()) {
    EXPECT_EQ(m.version, last + 1);
    last = m.version;
  }
  EXPECT_EQ(last, SchemaVersion());
}

TEST_F(StoreTest, RefusesAStoreFromANewerVersion) {
  CreateSampleRun();
  store_.reset();
  RawExec(path_, "PRAGMA user_version = 99");
  auto store = SqliteStateStore::Open(path_, clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(store.error().message, HasSubstr("schema version 99"));
  EXPECT_THAT(store.error().message, HasSubstr("newer fleetpatch"));
  EXPECT_THAT(store.error().message, HasSubstr(path_));
  // Read-only opening refuses too.
  SqliteStateStoreOptions ro;
  ro.read_only = true;
  auto ro_store = SqliteStateStore::Open(path_, clock_, ro);
  ASSERT_FALSE(ro_store.ok());
  EXPECT_THAT(ro_store.error().message, HasSubstr("schema version 99"));
}

TEST_F(StoreTest, RefusesADatabaseItDidNotCreate) {
  const fs::path other = dir_.path() / "other.db";
  RawExec(other, "CREATE TABLE photos (id INTEGER); INSERT INTO photos VALUES (1);");
  auto store = SqliteStateStore::Open(other.string(), clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(store.error().message, HasSubstr("did not create"));
  // Left exactly as it was: still in rollback-journal mode, no fleetpatch tables.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &raw), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "delete");
  sqlite3_finalize(st);
  ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_schema", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_close(raw);
}

TEST_F(StoreTest, RefusesAFileThatIsNotADatabase) {
  const fs::path junk = dir_.path() / "junk.db";
  std::ofstream(junk) << std::string(8192, 'x');
  auto store = SqliteStateStore::Open(junk.string(), clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
  EXPECT_THAT(store.error().message, HasSubstr(junk.string()));
}

TEST_F(StoreTest, CreatesOwnerOnlyDirectoriesAndFiles) {
  store_.reset();
  const mode_t old_umask = ::umask(0);  // the most permissive umask: the store must not rely on it
  const fs::path nested = dir_.path() / "a" / "b" / "state.db";
  auto store = SqliteStateStore::Open(nested.string(), clock_);
  ::umask(old_umask);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->CreateRun(SampleRun(kRun)).ok());  // writes to the WAL

  EXPECT_EQ(ModeOf(dir_.path() / "a"), 0700u);
  EXPECT_EQ(ModeOf(dir_.path() / "a" / "b"), 0700u);
  EXPECT_EQ(ModeOf(nested), 0600u);
  ASSERT_TRUE(fs::exists(nested.string() + "-wal"));
  ASSERT_TRUE(fs::exists(nested.string() + "-shm"));
  EXPECT_EQ(ModeOf(nested.string() + "-wal"), 0600u);
  EXPECT_EQ(ModeOf(nested.string() + "-shm"), 0600u);
  // The existing parent (the temp dir) is left as it was.
  EXPECT_EQ(ModeOf(dir_.path()), 0700u);
}

TEST_F(StoreTest, RefusesASymlinkInPlaceOfTheDatabase) {
  store_.reset();
  const fs::path victim = dir_.path() / "victim.db";
  const fs::path link = dir_.path() / "link.db";
  fs::create_symlink(victim, link);
  auto store = SqliteStateStore::Open(link.string(), clock_);
  ASSERT_FALSE(store.ok());
  EXPECT_FALSE(fs::exists(victim));  // nothing was created through the link
  SqliteStateStoreOptions ro;
  ro.read_only = true;
  ASSERT_TRUE(SqliteStateStore::Open(path_, clock_).ok());
  fs::create_symlink(path_, dir_.path() / "ro-link.db");
  EXPECT_FALSE(SqliteStateStore::Open((dir_.path() / "ro-link.db").string(), clock_, ro).ok());
}

TEST_F(StoreTest, RefusesADirectoryOthersCanWrite) {
  store_.reset();
  for (mode_t mode : {0770, 0703, 01777}) {
    const fs::path shared = dir_.path() / ("shared" + std::to_string(mode));
    fs::create_directory(shared);
    ASSERT_EQ(::chmod(shared.c_str(), mode), 0);
    auto store = SqliteStateStore::Open((shared / "state.db").string(), clock_);
    ASSERT_FALSE(store.ok()) << mode;
    EXPECT_EQ(store.error().category, ErrorCategory::kConfig);
    EXPECT_NE(store.error().message.find("group- or world-writable"), std::string::npos)
        << store.error().message;
    EXPECT_FALSE(fs::exists(shared / "state.db"));
  }
  const fs::path mine = dir_.path() / "mine";
  fs::create_directory(mine);
  ASSERT_EQ(::chmod(mine.c_str(), 0755), 0);
  EXPECT_TRUE(SqliteStateStore::Open((mine / "state.db").string(), clock_).ok());
}

TEST_F(StoreTest, TightensALooseExistingStore) {
  store_.reset();
  ASSERT_EQ(::chmod(path_.c_str(), 0644), 0);
  auto store = SqliteStateStore::Open(path_, clock_);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  EXPECT_EQ(ModeOf(path_), 0600u);
}

TEST_P(StoreContractTest, ReadOnlyOpeningReadsButNeverWrites) {
  CreateSampleRun();
  auto reader = OpenAgain(/*read_only=*/true);
  ASSERT_TRUE(reader);
  auto run = reader->GetRun(kRun);
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  auto s = reader->UpdateRunStatus(kRun, RunStatus::kFailed);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().category, ErrorCategory::kConfig);
  EXPECT_FALSE(reader->AcquireRunLock(kRun).ok());
  if (GetParam() != Backend::kSqlite) return;

  SqliteStateStoreOptions ro;
  ro.read_only = true;
  auto missing = SqliteStateStore::Open((dir_.path() / "nope.db").string(), clock_, ro);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().category, ErrorCategory::kNotFound);
  EXPECT_FALSE(fs::exists(dir_.path() / "nope.db"));
}

TEST_P(StoreContractTest, ASecondConnectionSeesCommittedWrites) {
  CreateSampleRun();
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance("prod", "i-1")}).ok());
  auto loaded = other->LoadInstances(kRun);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->size(), 1u);
}

// The safety loop's results (schema version 3) are saved, replaced and read back whole by every
// backend, and a rollback's task id is there for another connection (a resumed run) at once.
TEST_P(StoreContractTest, PostcheckAndRollbackRoundTrip) {
  CreateSampleRun();
  ASSERT_TRUE(
      store_->SaveInstances(kRun, {SampleInstance("prod", "i-1"), SampleInstance("prod", "i-2")}).ok());
  PostcheckResult post{PostcheckStatus::kDegraded,
                       {"service:nginx was active, now failed"},
                       "cmd-post-1",
                       "2026-11-25T19:50:00Z",
                       "2026-11-25T19:50:30Z",
                       {}};
  ASSERT_TRUE(store_->SavePostcheck(kRun, "prod", "i-1", post).ok());
  RollbackResult rb;
  rb.status = RollbackStatus::kInProgress;
  rb.ami_id = "ami-1";
  rb.task_id = "replacevol-1";
  rb.automatic = true;
  rb.reason = "postcheck degraded";
  ASSERT_TRUE(store_->SaveRollback(kRun, "prod", "i-1", rb).ok());
  auto other = OpenAgain();
  ASSERT_TRUE(other);
  auto seen = other->QueryInstances(kRun, {});
  ASSERT_TRUE(seen.ok()) << seen.error().ToString();
  ASSERT_EQ(seen->size(), 2u);
  ASSERT_TRUE((*seen)[0].postcheck && (*seen)[0].rollback);
  EXPECT_EQ((*seen)[0].postcheck->regressions, post.regressions);
  EXPECT_EQ((*seen)[0].postcheck->command_id, "cmd-post-1");
  EXPECT_EQ((*seen)[0].rollback->status, RollbackStatus::kInProgress);
  EXPECT_EQ((*seen)[0].rollback->task_id, "replacevol-1");
  EXPECT_TRUE((*seen)[0].rollback->automatic);
  EXPECT_FALSE((*seen)[1].postcheck.has_value());
  EXPECT_FALSE((*seen)[1].rollback.has_value());

  rb.status = RollbackStatus::kRolledBack;
  rb.postcheck = "healthy";
  ASSERT_TRUE(store_->SaveRollback(kRun, "prod", "i-1", rb).ok());
  auto again = other->QueryInstances(kRun, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].rollback->status, RollbackStatus::kRolledBack);
  EXPECT_EQ((*again)[0].rollback->postcheck, "healthy");
  EXPECT_EQ(store_->SaveRollback(kRun, "prod", "i-nope", rb).error().category, ErrorCategory::kNotFound);
}

TEST_P(StoreContractTest, ManyThreadsShareOneStore) {
  CreateSampleRun();
  constexpr int kThreads = 4, kPerThread = 50;
  std::vector<InstanceInfo> fleet;
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPerThread; ++i)
      fleet.push_back(SampleInstance("z" + std::to_string(t), "i-" + std::to_string(i)));
  ASSERT_TRUE(store_->SaveInstances(kRun, fleet).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string zone = "z" + std::to_string(t), id = "i-" + std::to_string(i);
        if (!store_->SavePatch(kRun, zone, id, SamplePatch(PatchStatus::kSuccess)).ok()) ++failures;
        if (!store_->AppendEvent(kRun, {0, "", "info", zone, id, "patch", "done"}).ok()) ++failures;
        if (!store_->CountByStatus(kRun, Phase::kPatch).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto counts = store_->CountByStatus(kRun, Phase::kPatch);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at("success"), kThreads * kPerThread);
  auto events = store_->LoadEvents(kRun);
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST_P(StoreContractTest, TwoProcessesWriteTheSameFileConcurrently) {
  // Different runs in one store (e.g. two landing-zone sets run side by side): BEGIN IMMEDIATE and
  // the busy timeout make the writers take turns instead of failing with "database is locked".
  CreateSampleRun("20261125-194200-00000a");
  CreateSampleRun("20261125-194200-00000b");
  store_.reset();
  constexpr int kEvents = 200;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = OpenStoreAt(GetParam(), location_, clock_);
    if (!store.ok()) _exit(2);
    for (int i = 0; i < kEvents; ++i) {
      if (!(*store)->AppendEvent("20261125-194200-00000b", {0, "", "info", "", "", "", "b"}).ok()) _exit(3);
    }
    _exit(0);
  }
  auto store = OpenStoreAt(GetParam(), location_, clock_);
  ASSERT_TRUE(store.ok());
  int failures = 0;
  for (int i = 0; i < kEvents; ++i) {
    if (!(*store)->AppendEvent("20261125-194200-00000a", {0, "", "info", "", "", "", "a"}).ok()) ++failures;
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(failures, 0);
  auto a = (*store)->LoadEvents("20261125-194200-00000a");
  auto b = (*store)->LoadEvents("20261125-194200-00000b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(b->size(), static_cast<size_t>(kEvents));
}

TEST(StoreMemory, InMemoryStoreWorks) {
  fleetpatch::testing::FakeClock clock;
  auto store = SqliteStateStore::Open(":memory:", clock);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  ASSERT_TRUE((*store)->CreateRun(SampleRun(kRun)).ok());
  EXPECT_TRUE((*store)->GetRun(kRun).ok());
}

// ---- runs ----

TEST_P(StoreContractTest, RunRoundTripFillsTimesAndRedactsSecrets) {
  RunInfo run = SampleRun(kRun);
  run.config["aws"] = {
      {"secret_access_key", "wJalrXUtnFEMI"}, {"session_token", "FQoGZX"}, {"profile", "prod"}};
  run.config["landing_zones"] = nlohmann::json::array({{{"name", "z"}, {"password", "hunter2"}}});
  ASSERT_TRUE(store_->CreateRun(run).ok());

  auto got = store_->GetRun(kRun);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->run_id, kRun);
  EXPECT_EQ(got->workflow, "full");
  EXPECT_EQ(got->user, "alice");
  EXPECT_EQ(got->host, "build-01");
  EXPECT_TRUE(got->dry_run);
  EXPECT_EQ(got->status, RunStatus::kRunning);
  EXPECT_EQ(got->created_at, "2015-08-30T12:36:00Z");  // from the FakeClock
  EXPECT_EQ(got->updated_at, "2015-08-30T12:36:00Z");
  EXPECT_EQ(got->config["aws"]["profile"], "prod");
  EXPECT_EQ(got->config["aws"]["secret_access_key"], std::string(kRedacted));
  EXPECT_EQ(got->config["aws"]["session_token"], std::string(kRedacted));
  EXPECT_EQ(got->config["landing_zones"][0]["password"], std::string(kRedacted));
  EXPECT_EQ(got->config["timeouts"]["ami_creation"], 1800);
  EXPECT_TRUE(got->phases_completed.empty());
  store_.reset();

  // Not on disk either (database and WAL).
  for (const std::string& f : {location_, location_ + "-wal"}) {
    if (!fs::exists(f)) continue;
    const std::string bytes = fleetpatch::testing::ReadFileOrDie(f);
    for (const char* secret : {"wJalrXUtnFEMI", "FQoGZX", "hunter2"}) {
      EXPECT_EQ(bytes.find(secret), std::string::npos) << secret << " in " << f;
    }
  }
}

TEST_P(StoreContractTest, DuplicateRunIdIsRefused) {
  CreateSampleRun();
  auto s = store_->CreateRun(SampleRun(kRun));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().category, ErrorCategory::kValidation);
}

TEST_P(StoreContractTest, StatusAndPhasesUpdate) {
  CreateSampleRun();
  clock_.Advance(std::chrono::seconds(60));
  ASSERT_TRUE(store_->MarkPhaseCompleted(kRun, Phase::kScan).ok());
  ASSERT_TRUE(store_->MarkPhaseCompleted(kRun, Phase::kBackup).ok());
  ASSERT_TRUE(store_->MarkPhaseCompleted(kRun, Phase::kScan).ok());  // once only
  ASSERT_TRUE(store_->UpdateRunStatus(kRun, RunStatus::kCompletedWithFailures).ok());
  auto got = store_->GetRun(kRun);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->phases_completed, (std::vector<std::string>{"scan", "backup"}));
  EXPECT_EQ(got->status, RunStatus::kCompletedWithFailures);
  EXPECT_EQ(got->created_at, "2015-08-30T12:36:00Z");
  EXPECT_EQ(got->updated_at, "2015-08-30T12:37:00Z");
}

TEST_P(StoreContractTest, UnknownRunIsNotFound) {
  auto got = store_->GetRun("20990101-000000-000000");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().category, ErrorCategory::kNotFound);
  EXPECT_THAT(got.error().message, HasSubstr("20990101-000000-000000"));
  EXPECT_EQ(store_->UpdateRunStatus("x", RunStatus::kFailed).error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->MarkPhaseCompleted("x", Phase::kScan).error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->SaveInstances("x", {SampleInstance("z", "i-1")}).error().category,
            ErrorCategory::kNotFound);
  EXPECT_EQ(store_->LoadSnapshot("x").error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->AppendEvent("x", Event{}).error().category, ErrorCategory::kNotFound);
  EXPECT_EQ(store_->AcquireRunLock("x").error().category, ErrorCategory::kNotFound);
  auto latest = store_->LatestRun();
  ASSERT_FALSE(latest.ok());
  EXPECT_EQ(latest.error().category, ErrorCategory::kNotFound);
}

TEST_P(StoreContractTest, LatestAndListFollowCreationOrder) {
  // Created out of lexical order: creation order wins (the clock may have jumped back).
  for (const char* id : {"20261125-194200-bbbbbb", "20261125-194200-aaaaaa", "20261124-000000-cccccc"}) {
    ASSERT_TRUE(store_->CreateRun(SampleRun(id)).ok());
  }
  auto latest = store_->LatestRun();
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->run_id, "20261124-000000-cccccc");
  auto all = store_->ListRuns(0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].run_id, "20261124-000000-cccccc");
  EXPECT_EQ((*all)[2].run_id, "20261125-194200-bbbbbb");
  auto two = store_->ListRuns(2);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->size(), 2u);
}

// ---- zones, instances, results ----

TEST_P(StoreContractTest, ZonesRoundTripAndUpsert) {
  CreateSampleRun();
  LandingZoneInfo prod{"prod", "012345678901", "eu-west-1", "arn:aws:iam::012345678901:role/Patch", {}};
  LandingZoneInfo dev{"dev", "000000000042", "us-east-1", "arn:aws:iam::000000000042:role/Patch", {}};
  ASSERT_TRUE(store_->SaveZones(kRun, {prod, dev}).ok());
  dev.error = {"authentication", "AccessDenied", "role could not be assumed"};
  ASSERT_TRUE(store_->SaveZones(kRun, {dev}).ok());
  auto zones = store_->LoadZones(kRun);
  ASSERT_TRUE(zones.ok()) << zones.error().ToString();
  ASSERT_EQ(zones->size(), 2u);
  EXPECT_EQ(nlohmann::json((*zones)[0]), nlohmann::json(prod));
  EXPECT_EQ(nlohmann::json((*zones)[1]), nlohmann::json(dev));
  EXPECT_EQ((*zones)[1].error.code, "AccessDenied");
}

TEST_P(StoreContractTest, InstancesRoundTripInOrderAndRescanKeepsResults) {
  CreateSampleRun();
  std::vector<InstanceInfo> in = {SampleInstance("prod", "i-3"), SampleInstance("prod", "i-1", false),
                                  SampleInstance("dev", "i-2")};
  ASSERT_TRUE(store_->SaveInstances(kRun, in).ok());
  ASSERT_TRUE(store_->SaveBackup(kRun, "prod", "i-3", SampleBackup()).ok());

  InstanceInfo changed = in[0];
  changed.state = "stopping";
  changed.eligible = false;
  changed.ineligible_reason = "stopped";
  ASSERT_TRUE(store_->SaveInstances(kRun, {changed}).ok());

  auto out = store_->LoadInstances(kRun);
  ASSERT_TRUE(out.ok()) << out.error().ToString();
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ(nlohmann::json((*out)[0]), nlohmann::json(changed));
  EXPECT_EQ(nlohmann::json((*out)[1]), nlohmann::json(in[1]));
  EXPECT_EQ(nlohmann::json((*out)[2]), nlohmann::json(in[2]));
  EXPECT_EQ((*out)[0].name, "web <\"'&> \xC3\xA9");

  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok());
  ASSERT_TRUE(snap->instances[0].backup.has_value());  // the re-scan kept the backup
}

TEST_P(StoreContractTest, SameInstanceIdInTwoZonesIsTwoInstances) {
  CreateSampleRun();
  ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance("a", "i-1"), SampleInstance("b", "i-1")}).ok());
  ASSERT_TRUE(store_->SavePatch(kRun, "b", "i-1", SamplePatch()).ok());
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->instances.size(), 2u);
  EXPECT_FALSE(snap->instances[0].patch.has_value());
  EXPECT_TRUE(snap->instances[1].patch.has_value());
}

TEST_P(StoreContractTest, EveryResultTypeRoundTrips) {
  CreateSampleRun();
  ASSERT_TRUE(
      store_->SaveInstances(kRun, {SampleInstance("prod", "i-1"), SampleInstance("prod", "i-2")}).ok());
  for (auto status : {BackupStatus::kPending, BackupStatus::kAvailable, BackupStatus::kFailed,
                      BackupStatus::kTimedOut, BackupStatus::kSkipped, BackupStatus::kDisabled}) {
    BackupResult b = SampleBackup(status);
    ASSERT_TRUE(store_->SaveBackup(kRun, "prod", "i-1", b).ok());
    auto snap = store_->LoadSnapshot(kRun);
    ASSERT_TRUE(snap.ok());
    ASSERT_TRUE(snap->instances[0].backup.has_value());
    EXPECT_EQ(nlohmann::json(*snap->instances[0].backup), nlohmann::json(b)) << BackupStatusName(status);
  }
  for (auto status : {PrecheckStatus::kReady, PrecheckStatus::kNotReady, PrecheckStatus::kUnreachable,
                      PrecheckStatus::kSkipped, PrecheckStatus::kFailed}) {
    PrecheckResult p = SamplePrecheck(status);
    ASSERT_TRUE(store_->SavePrecheck(kRun, "prod", "i-1", p).ok());
    auto snap = store_->LoadSnapshot(kRun);
    ASSERT_TRUE(snap.ok());
    ASSERT_TRUE(snap->instances[0].precheck.has_value());
    EXPECT_EQ(nlohmann::json(*snap->instances[0].precheck), nlohmann::json(p)) << PrecheckStatusName(status);
    EXPECT_EQ(snap->instances[0].precheck->findings.size(), 2u);
  }
  for (auto status :
       {PatchStatus::kPending, PatchStatus::kInProgress, PatchStatus::kSuccess, PatchStatus::kPartialSuccess,
        PatchStatus::kFailed, PatchStatus::kTimedOut, PatchStatus::kSkipped, PatchStatus::kCancelled}) {
    PatchResult p = SamplePatch(status);
    ASSERT_TRUE(store_->SavePatch(kRun, "prod", "i-1", p).ok());
    auto snap = store_->LoadSnapshot(kRun);
    ASSERT_TRUE(snap.ok());
    ASSERT_TRUE(snap->instances[0].patch.has_value());
    EXPECT_EQ(nlohmann::json(*snap->instances[0].patch), nlohmann::json(p)) << PatchStatusName(status);
  }
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(snap->instances[1].backup || snap->instances[1].precheck || snap->instances[1].patch);
}

// The Auto Scaling record is what `--resume` reads to restore instances left in Standby: every
// status round-trips, also in the workflow's slim view, and a later save replaces the earlier one.
TEST_P(StoreContractTest, StandbyRoundTripsInEveryViewAndIsReplaced) {
  CreateSampleRun();
  ASSERT_TRUE(
      store_->SaveInstances(kRun, {SampleInstance("prod", "i-1"), SampleInstance("prod", "i-2")}).ok());
  state::InstanceQuery slim_query;
  slim_query.details = false;
  for (auto status : {StandbyStatus::kInStandby, StandbyStatus::kExitedStandby, StandbyStatus::kLeftInStandby,
                      StandbyStatus::kSuspended, StandbyStatus::kResumed, StandbyStatus::kSkipped}) {
    StandbyResult s;
    s.status = status;
    s.group = "web-asg";
    s.mode = "standby";
    s.entered_at = "2026-12-04T21:00:00.000Z";
    s.reason = std::string("because ") + StandbyStatusName(status);
    ASSERT_TRUE(store_->SaveStandbys(kRun, {{"prod", "i-1", s}}).ok());
    auto snap = store_->LoadSnapshot(kRun);
    ASSERT_TRUE(snap.ok());
    ASSERT_TRUE(snap->instances[0].standby.has_value());
    EXPECT_EQ(nlohmann::json(*snap->instances[0].standby), nlohmann::json(s)) << StandbyStatusName(status);
    auto slim = store_->QueryInstances(kRun, slim_query);
    ASSERT_TRUE(slim.ok());
    ASSERT_TRUE((*slim)[0].standby.has_value());
    EXPECT_EQ((*slim)[0].standby->status, status);
    EXPECT_FALSE((*slim)[1].standby.has_value());
  }
  EXPECT_FALSE(store_->SaveStandbys(kRun, {{"prod", "i-404", StandbyResult{}}}).ok());
}

TEST_P(StoreContractTest, QueryWithoutDetailsDropsTagsAndPrecheckFindingsAndOutput) {
  CreateSampleRun();
  ASSERT_TRUE(
      store_->SaveInstances(kRun, {SampleInstance("prod", "i-1"), SampleInstance("prod", "i-2")}).ok());
  PrecheckResult p = SamplePrecheck(PrecheckStatus::kNotReady);
  ASSERT_TRUE(store_->SavePrecheck(kRun, "prod", "i-1", p).ok());
  ASSERT_TRUE(store_->SaveBackup(kRun, "prod", "i-1", SampleBackup()).ok());
  state::InstanceQuery q;
  q.details = false;
  auto slim = store_->QueryInstances(kRun, q);
  ASSERT_TRUE(slim.ok()) << slim.error().ToString();
  ASSERT_EQ(slim->size(), 2u);
  ASSERT_TRUE((*slim)[0].precheck.has_value());
  PrecheckResult want = p;
  want.findings.clear();
  want.output.clear();
  EXPECT_EQ(nlohmann::json(*(*slim)[0].precheck), nlohmann::json(want));
  EXPECT_EQ(nlohmann::json(*(*slim)[0].backup), nlohmann::json(SampleBackup()));
  EXPECT_FALSE((*slim)[1].precheck.has_value());  // no result stays no result
  EXPECT_TRUE((*slim)[0].info.tags.empty());
  EXPECT_EQ((*slim)[0].info.name, SampleInstance("prod", "i-1").name);  // the Name column stays
  // The default still returns everything.
  auto full = store_->QueryInstances(kRun, {});
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(nlohmann::json(*(*full)[0].precheck), nlohmann::json(p));
}

TEST_P(StoreContractTest, TextThatIsNotUtf8IsStoredWithReplacementCharacters) {
  CreateSampleRun();
  InstanceInfo i = SampleInstance("prod", "i-1");
  i.tags["Owner"] = std::string("bad \xff\xfe bytes");
  ASSERT_TRUE(store_->SaveInstances(kRun, {i}).ok());
  PrecheckResult p = SamplePrecheck();
  p.output = std::string("disk \xc3 cut");
  ASSERT_TRUE(store_->SavePrecheck(kRun, "prod", "i-1", p).ok());
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok()) << snap.error().ToString();
  EXPECT_EQ(snap->instances[0].info.tags.at("Owner"), "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
  EXPECT_EQ(snap->instances[0].precheck->output, "disk \xef\xbf\xbd cut");
}

TEST_P(StoreContractTest, DefaultValuesAndNonDefaultFlagsRoundTrip) {
  // Results are stored without their default-valued fields; loading must restore them exactly.
  CreateSampleRun();
  ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance("prod", "i-1")}).ok());
  PrecheckResult pre;  // all defaults, plus a failed finding (CheckFinding.passed defaults to true)
  pre.findings = {{"pending_reboot", "yes", "no", false}, {}};
  BackupResult backup;
  backup.cleaned_up = true;
  PatchResult patch;  // pending, wave 0 (the canary): both defaults
  ASSERT_TRUE(store_->SavePrecheck(kRun, "prod", "i-1", pre).ok());
  ASSERT_TRUE(store_->SaveBackup(kRun, "prod", "i-1", backup).ok());
  ASSERT_TRUE(store_->SavePatch(kRun, "prod", "i-1", patch).ok());
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok()) << snap.error().ToString();
  const InstanceRun& r = snap->instances[0];
  EXPECT_EQ(nlohmann::json(*r.precheck), nlohmann::json(pre));
  EXPECT_FALSE(r.precheck->findings[0].passed);
  EXPECT_TRUE(r.precheck->findings[1].passed);
  EXPECT_EQ(nlohmann::json(*r.backup), nlohmann::json(backup));
  EXPECT_EQ(nlohmann::json(*r.patch), nlohmann::json(patch));
  InstanceQuery pending;
  pending.patch_status = {"pending"};
  auto found = store_->QueryInstances(kRun, pending);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->size(), 1u);  // the status column is set even though the JSON omits it
}

TEST_P(StoreContractTest, ABatchWithAnUnknownInstanceWritesNothing) {
  CreateSampleRun();
  ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance("prod", "i-1")}).ok());
  auto s = store_->SaveBackups(kRun, {{"prod", "i-1", SampleBackup()}, {"prod", "i-404", SampleBackup()}});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().category, ErrorCategory::kNotFound);
  EXPECT_THAT(s.error().message, HasSubstr("i-404"));
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok());
  EXPECT_FALSE(snap->instances[0].backup.has_value());  // rolled back with the rest of the batch
}

TEST_P(StoreContractTest, QueriesForResume) {
  CreateSampleRun();
  std::vector<InstanceInfo> fleet;
  for (int i = 0; i < 8; ++i)
    fleet.push_back(SampleInstance(i < 4 ? "prod" : "dev", "i-" + std::to_string(i), i != 7));
  ASSERT_TRUE(store_->SaveInstances(kRun, fleet).ok());
  ASSERT_TRUE(store_
                  ->SaveBackups(kRun, {{"prod", "i-0", SampleBackup(BackupStatus::kAvailable)},
                                       {"prod", "i-1", SampleBackup(BackupStatus::kPending)},
                                       {"prod", "i-2", SampleBackup(BackupStatus::kFailed)}})
                  .ok());
  ASSERT_TRUE(store_
                  ->SavePrechecks(kRun, {{"prod", "i-0", SamplePrecheck(PrecheckStatus::kReady)},
                                         {"dev", "i-4", SamplePrecheck(PrecheckStatus::kUnreachable)}})
                  .ok());
  ASSERT_TRUE(store_
                  ->SavePatches(kRun, {{"prod", "i-0", SamplePatch(PatchStatus::kInProgress)},
                                       {"dev", "i-4", SamplePatch(PatchStatus::kSuccess)},
                                       {"dev", "i-5", SamplePatch(PatchStatus::kPending)}})
                  .ok());

  auto ids = [](const Result<std::vector<InstanceRun>>& r) {
    std::vector<std::string> out;
    EXPECT_TRUE(r.ok());
    if (r.ok())
      for (const auto& i : *r) out.push_back(i.info.instance_id);
    return out;
  };
  // Eligible with no backup or a pending one: i-1 (pending), i-3..i-6 (none); i-7 is ineligible.
  EXPECT_EQ(ids(store_->PendingBackups(kRun)), (std::vector<std::string>{"i-1", "i-3", "i-4", "i-5", "i-6"}));
  EXPECT_EQ(ids(store_->PendingPrechecks(kRun)),
            (std::vector<std::string>{"i-1", "i-2", "i-3", "i-5", "i-6"}));
  EXPECT_EQ(ids(store_->UnfinishedPatches(kRun)), (std::vector<std::string>{"i-0", "i-5"}));

  InstanceQuery q;
  q.zone = "dev";
  q.eligible = false;
  EXPECT_EQ(ids(store_->QueryInstances(kRun, q)), std::vector<std::string>{"i-7"});
  InstanceQuery ready_and_backed_up;
  ready_and_backed_up.precheck_status = {"ready"};
  ready_and_backed_up.backup_status = {"available", "disabled"};
  EXPECT_EQ(ids(store_->QueryInstances(kRun, ready_and_backed_up)), std::vector<std::string>{"i-0"});
  // A value that looks like SQL is just a value.
  InstanceQuery hostile;
  hostile.zone = "prod' OR '1'='1";
  EXPECT_TRUE(ids(store_->QueryInstances(kRun, hostile)).empty());

  auto counts = store_->CountByStatus(kRun, Phase::kBackup);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(*counts,
            (std::map<std::string, int64_t>{{"available", 1}, {"pending", 1}, {"failed", 1}, {"none", 5}}));
  auto scan = store_->CountByStatus(kRun, Phase::kScan);
  ASSERT_TRUE(scan.ok());
  EXPECT_EQ(*scan, (std::map<std::string, int64_t>{{"eligible", 7}, {"ineligible", 1}}));
  auto patch = store_->CountByStatus(kRun, Phase::kPatch);
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->at("none"), 5);
  EXPECT_EQ(patch->at("success"), 1);
}

TEST_P(StoreContractTest, RunsAreKeptApart) {
  CreateSampleRun("20261125-194200-000001");
  CreateSampleRun("20261125-194200-000002");
  ASSERT_TRUE(store_->SaveInstances("20261125-194200-000001", {SampleInstance("z", "i-1")}).ok());
  ASSERT_TRUE(store_->AppendEvent("20261125-194200-000001", Event{0, "", "info", "", "", "", "one"}).ok());
  auto snap = store_->LoadSnapshot("20261125-194200-000002");
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE(snap->instances.empty());
  EXPECT_TRUE(snap->events.empty());
  auto res = store_->SaveBackup("20261125-194200-000002", "z", "i-1", SampleBackup());
  EXPECT_EQ(res.error().category, ErrorCategory::kNotFound);
}

// ---- events ----

TEST_P(StoreContractTest, JournalKeepsOrderAndIsAppendOnly) {
  CreateSampleRun();
  auto first = store_->AppendEvent(kRun, {0, "", "", "prod", "i-1", "backup", "CreateImage started"});
  ASSERT_TRUE(first.ok());
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(
      store_
          ->AppendEvents(kRun, {{0, "", "warning", "prod", "i-1", "backup", "slow"},
                                {0, "2026-01-01T00:00:00Z", "error", "prod", "i-2", "patch", "failed"}})
          .ok());
  auto events = store_->LoadEvents(kRun);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].seq, *first);
  EXPECT_LT((*events)[0].seq, (*events)[1].seq);
  EXPECT_LT((*events)[1].seq, (*events)[2].seq);
  EXPECT_EQ((*events)[0].level, "info");  // default
  EXPECT_EQ((*events)[0].time, "2015-08-30T12:36:00Z");
  EXPECT_EQ((*events)[1].time, "2015-08-30T12:36:05Z");
  EXPECT_EQ((*events)[2].time, "2026-01-01T00:00:00Z");  // a given time is kept
  EXPECT_EQ((*events)[1].message, "slow");
  EXPECT_EQ((*events)[2].instance_id, "i-2");
  auto after = store_->LoadEvents(kRun, (*events)[1].seq);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].message, "failed");

  store_.reset();
  Status update = RawSql("UPDATE events SET message = 'rewritten'");
  ASSERT_FALSE(update.ok());
  EXPECT_THAT(update.error().message, HasSubstr("append-only"));
  EXPECT_FALSE(RawSql("DELETE FROM events").ok());
}

TEST_P(StoreContractTest, SnapshotHasEverything) {
  CreateSampleRun();
  ASSERT_TRUE(store_->SaveZones(kRun, {{"prod", "012345678901", "eu-west-1", "arn", {}}}).ok());
  ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance("prod", "i-1")}).ok());
  ASSERT_TRUE(store_->SaveBackup(kRun, "prod", "i-1", SampleBackup()).ok());
  ASSERT_TRUE(store_->SavePrecheck(kRun, "prod", "i-1", SamplePrecheck()).ok());
  ASSERT_TRUE(store_->SavePatch(kRun, "prod", "i-1", SamplePatch()).ok());
  ASSERT_TRUE(store_->AppendEvent(kRun, {0, "", "info", "", "", "scan", "found 1"}).ok());
  ASSERT_TRUE(store_->MarkPhaseCompleted(kRun, Phase::kScan).ok());
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok()) << snap.error().ToString();
  EXPECT_EQ(snap->run.run_id, kRun);
  EXPECT_EQ(snap->run.phases_completed, std::vector<std::string>{"scan"});
  ASSERT_EQ(snap->zones.size(), 1u);
  ASSERT_EQ(snap->instances.size(), 1u);
  EXPECT_EQ(nlohmann::json(snap->instances[0].info), nlohmann::json(SampleInstance("prod", "i-1")));
  EXPECT_EQ(nlohmann::json(*snap->instances[0].backup), nlohmann::json(SampleBackup()));
  EXPECT_EQ(nlohmann::json(*snap->instances[0].precheck), nlohmann::json(SamplePrecheck()));
  EXPECT_EQ(nlohmann::json(*snap->instances[0].patch), nlohmann::json(SamplePatch()));
  ASSERT_EQ(snap->events.size(), 1u);
  EXPECT_EQ(snap->events[0].message, "found 1");
  if (auto* sqlite = dynamic_cast<SqliteStateStore*>(store_.get())) {
    EXPECT_TRUE(sqlite->CheckIntegrity().ok());
  }
}

TEST_F(StoreTest, ADamagedRecordIsAnErrorNotACrash) {
  CreateSampleRun();
  ASSERT_TRUE(store_->SaveInstances(kRun, {SampleInstance("prod", "i-1")}).ok());
  store_.reset();
  RawExec(path_, "UPDATE instances SET backup_status = 'available', backup_json = '{not json'");
  auto store = SqliteStateStore::Open(path_, clock_);
  ASSERT_TRUE(store.ok());
  auto snap = (*store)->LoadSnapshot(kRun);
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.error().category, ErrorCategory::kInternal);
  EXPECT_THAT(snap.error().message, HasSubstr("i-1"));
}

TEST_P(StoreContractTest, BulkSaveAndLoadOfManyInstances) {
  // Correctness at volume (timing lives in bench/state_bench.cc).
  CreateSampleRun();
  constexpr int kCount = 5000;
  std::vector<InstanceInfo> fleet;
  fleet.reserve(kCount);
  for (int i = 0; i < kCount; ++i)
    fleet.push_back(SampleInstance("zone-" + std::to_string(i % 20), "i-" + std::to_string(i)));
  ASSERT_TRUE(store_->SaveInstances(kRun, fleet).ok());
  std::vector<BackupUpdate> backups;
  for (int i = 0; i < kCount; i += 2)
    backups.push_back({fleet[i].zone, fleet[i].instance_id, SampleBackup()});
  ASSERT_TRUE(store_->SaveBackups(kRun, backups).ok());
  auto snap = store_->LoadSnapshot(kRun);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->instances.size(), static_cast<size_t>(kCount));
  EXPECT_EQ(snap->instances[kCount - 1].info.instance_id, "i-" + std::to_string(kCount - 1));
  EXPECT_TRUE(snap->instances[kCount - 2].backup.has_value());
  EXPECT_FALSE(snap->instances[kCount - 1].backup.has_value());
}

}  // namespace
}  // namespace fleetpatch::state
