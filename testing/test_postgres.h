// A real PostgreSQL server for tests, and a fresh empty schema per test on it.
//
// Which server: FP_TEST_POSTGRES_URL when set (an external server, e.g. a CI service); else the
// one the ctest fixture started in FP_TEST_POSTGRES_DIR (testing/postgres-test-server.sh, shared by
// every test process of one ctest run); else one started for this process in a temporary
// directory (initdb + pg_ctl, as an unprivileged user when run as root) and stopped at exit.
// Nothing is mocked: tests talk to the server through libpq like fleetpatch does.
//
// Under CI=true a server that cannot be had is a test failure (FP_REQUIRE_POSTGRES), elsewhere a
// skip with the reason.
// Thread-safety: Get() and NewStoreUrl() may be called from any thread (serialised internally).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/error.h"

namespace fleetpatch::testing {

class PostgresForTest {
 public:
  // The server of this process, started on first use. An Error says why there is none.
  static Result<PostgresForTest*> Get();

  // A URL to a new, empty schema of its own (search_path set in the URL): a fresh store per test.
  Result<std::string> NewStoreUrl();
  // The server's URL (its default database, default schema).
  const std::string& base_url() const { return base_url_; }

 private:
  explicit PostgresForTest(std::string base_url) : base_url_(std::move(base_url)) {}
  std::string base_url_;
};

// Runs `sql` (no parameters, no rows expected) on `url`: for setting up states the API never produces.
Status ExecuteSql(const std::string& url, const std::string& sql);

// True when CI=true: a missing server must fail the test, not skip it.
bool PostgresRequired();

}  // namespace fleetpatch::testing

// In a test or SetUp(): `url` becomes the URL of a fresh schema, or the test is skipped (failed
// under CI=true) with the reason.
#define FP_REQUIRE_POSTGRES(url)                                                         \
  do {                                                                                   \
    auto fp_pg_ = ::fleetpatch::testing::PostgresForTest::Get();                         \
    Result<std::string> fp_url_ =                                                        \
        fp_pg_.ok() ? (*fp_pg_)->NewStoreUrl() : Result<std::string>(fp_pg_.error());    \
    if (!fp_url_.ok()) {                                                                 \
      if (::fleetpatch::testing::PostgresRequired()) {                                   \
        FAIL() << "no PostgreSQL test server (CI=true): " << fp_url_.error().ToString(); \
      }                                                                                  \
      GTEST_SKIP() << "no PostgreSQL test server: " << fp_url_.error().ToString();       \
    }                                                                                    \
    url = *fp_url_;                                                                      \
  } while (0)
