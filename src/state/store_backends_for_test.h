// The state store backends the store's tests run against: each contract test is a TEST_P over
// Backend, so SQLite and PostgreSQL are held to the same tests. StoreBackendTest opens a fresh,
// empty store of the backend (SQLite: a file in a temporary directory; PostgreSQL: a new schema
// on the test server, testing/test_postgres.h) and can open more connections to it.
// Thread-safety: test fixtures; one thread (the tests' own threads use store_, which is safe).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "state/postgres_state_store.h"
#include "state/sqlite_state_store.h"
#include "state/state_test_util.h"
#include "testing/fake_clock.h"
#include "testing/test_postgres.h"
#include "testing/testdata.h"

namespace fleetpatch::state {

enum class Backend { kSqlite, kPostgres };

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

// Opens the store at `location` (a file path or a postgresql:// URL).
inline Result<std::unique_ptr<StateStore>> OpenStoreAt(Backend backend, const std::string& location,
                                                       const Clock& clock, bool read_only = false) {
  if (backend == Backend::kPostgres) {
    PostgresStateStoreOptions o;
    o.read_only = read_only;
    FP_ASSIGN_OR_RETURN(auto s, PostgresStateStore::Open(location, clock, o));
    return std::unique_ptr<StateStore>(std::move(s));
  }
  SqliteStateStoreOptions o;
  o.read_only = read_only;
  FP_ASSIGN_OR_RETURN(auto s, SqliteStateStore::Open(location, clock, o));
  return std::unique_ptr<StateStore>(std::move(s));
}

class StoreBackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::kPostgres) {
      FP_REQUIRE_POSTGRES(location_);
    } else {
      location_ = (dir_.path() / ".fleetpatch" / "state.db").string();
    }
    auto store = OpenStoreAt(GetParam(), location_, clock_);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    store_ = std::move(store).value();
  }

  // Another connection to the same store (another process would see the same).
  std::unique_ptr<StateStore> OpenAgain(bool read_only = false) {
    auto store = OpenStoreAt(GetParam(), location_, clock_, read_only);
    EXPECT_TRUE(store.ok()) << store.error().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Runs raw SQL on the store, bypassing the API (to check what the database itself refuses).
  Status RawSql(const std::string& sql) {
    if (GetParam() == Backend::kPostgres) return fleetpatch::testing::ExecuteSql(location_, sql);
    sqlite3* raw = nullptr;
    if (sqlite3_open(location_.c_str(), &raw) != SQLITE_OK)
      return Error::Internal("cannot open " + location_);
    char* err = nullptr;
    const int rc = sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(raw);
    if (rc != SQLITE_OK) return Error::Internal(msg);
    return OkStatus();
  }

  void CreateSampleRun(const std::string& id) {
    auto s = store_->CreateRun(testutil::SampleRun(id));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }

  fleetpatch::testing::TempDir dir_;
  fleetpatch::testing::FakeClock clock_;
  std::string location_;
  std::unique_ptr<StateStore> store_;
};

#define FP_INSTANTIATE_FOR_EACH_BACKEND(fixture)                                                         \
  INSTANTIATE_TEST_SUITE_P(                                                                              \
      Backends, fixture,                                                                                 \
      ::testing::Values(::fleetpatch::state::Backend::kSqlite, ::fleetpatch::state::Backend::kPostgres), \
      ::fleetpatch::state::BackendName)

}  // namespace fleetpatch::state
