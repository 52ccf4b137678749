#include "testing/test_postgres.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>

#include "testing/testdata.h"

namespace fleetpatch::testing {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string SocketUrl(const std::string& dir) {
  return "postgresql:///postgres?host=" + dir + "&user=fleetpatch";
}

std::string Script() { return (SourceDir() / "testing" / "postgres-test-server.sh").string(); }

// The server this process started; stopped when the process exits (never by a forked child).
struct OwnServer {
  std::string dir;
  pid_t owner = 0;
  ~OwnServer() {
    if (dir.empty() || ::getpid() != owner) return;
    const std::string cmd = "'" + Script() + "' stop '" + dir + "' >/dev/null 2>&1";
    (void)std::system(cmd.c_str());
  }
};

Result<std::string> StartOwnServer(OwnServer& own) {
  char tmpl[] = "/tmp/fp-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) return Error::Internal("mkdtemp failed for the PostgreSQL test server");
  own.dir = tmpl;
  own.owner = ::getpid();
  const std::string log = own.dir + ".log";
  const std::string cmd = "'" + Script() + "' start '" + own.dir + "' >'" + log + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::string why = ReadFileOrDie(log);
    fs::remove(log);
    return Error::Internal("could not start a PostgreSQL test server (" + Script() + "): " + why);
  }
  fs::remove(log);
  return SocketUrl(own.dir);
}

Result<std::string> FindServer(OwnServer& own) {
  if (std::string url = Env("FP_TEST_POSTGRES_URL"); !url.empty()) return url;
  std::string dir = Env("FP_TEST_POSTGRES_DIR");
#ifdef FP_TEST_POSTGRES_DIR
  if (dir.empty()) dir = FP_TEST_POSTGRES_DIR;  // where the ctest fixture starts it
#endif
  std::error_code ec;
  if (!dir.empty() && fs::exists(dir + "/.s.PGSQL.5432", ec)) return SocketUrl(dir);
  return StartOwnServer(own);
}

}  // namespace

Status ExecuteSql(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(c, PQfinish);
  if (PQstatus(c) != CONNECTION_OK)
    return Error::Connectivity(std::string("test server: ") + PQerrorMessage(c));
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) return Error::Internal("test server: " + sql + ": " + msg);
  return OkStatus();
}

bool PostgresRequired() { return Env("CI") == "true"; }

Result<PostgresForTest*> PostgresForTest::Get() {
  static std::mutex mu;
  static OwnServer own;
  static std::unique_ptr<PostgresForTest> server;
  static std::optional<Error> failed;
  std::lock_guard lock(mu);
  if (server) return server.get();
  if (failed) return *failed;
  auto url = FindServer(own);
  if (!url.ok()) {
    failed = url.error();
    return *failed;
  }
  server.reset(new PostgresForTest(*url));
  return server.get();
}

Result<std::string> PostgresForTest::NewStoreUrl() {
  static std::atomic<int> counter{0};
  const std::string schema = "t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  FP_RETURN_IF_ERROR(ExecuteSql(base_url_, "CREATE SCHEMA " + schema));
  const char sep = base_url_.find('?') == std::string::npos ? '?' : '&';
  return base_url_ + sep + "options=-csearch_path%3D" + schema;
}

}  // namespace fleetpatch::testing
