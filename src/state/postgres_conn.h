// Thin RAII wrappers over libpq, private to src/state: PGconn* and PGresult* never leave this
// folder. Every statement is sent with PQexecParams: values are only ever bound as parameters,
// never spliced into SQL text. Also: how a PostgreSQL URL is recognised and shown without its
// password.
// Thread-safety: none. A PgConn is used by one thread at a time (PostgresStateStore serialises
// access with its own mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

struct pg_conn;
struct pg_result;

namespace fleetpatch::state {

// True for "postgresql://..." and "postgres://..." (libpq's URI forms).
bool IsPostgresUrl(std::string_view s);

// The URL (or key=value conninfo) with any password replaced by "***", for logs and messages:
// "postgresql://app:s3cret@db/x" -> "postgresql://app:***@db/x"; "password=x" query parameters
// and conninfo keys too. Never fails; text it does not understand is returned with the same rules
// applied to what looks like a password.
std::string RedactPostgresUrl(std::string_view url);

// Text made valid UTF-8 for PostgreSQL (which refuses invalid bytes and NUL): each invalid byte
// and each NUL becomes U+FFFD, like DumpJson does for JSON.
std::string ValidUtf8(std::string_view text);

// One bound parameter: text or SQL NULL.
using PgParam = std::optional<std::string>;

// A text[] parameter: {"a","b"} with quotes and backslashes escaped (each value made ValidUtf8);
// NULL for an empty list, so "$1::text[] IS NULL" means "no restriction".
PgParam TextArray(const std::vector<std::string>& values);

// A query's rows, as text (libpq's text format).
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(pg_result* r);
  ~PgResult();
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;  // 0 for NULL or non-numbers
  bool Bool(int row, int col) const;    // PostgreSQL's "t"
  // Rows changed by an INSERT/UPDATE/DELETE.
  int64_t Affected() const;
  pg_result* raw() const { return r_; }

 private:
  pg_result* r_ = nullptr;
};

// One libpq connection.
class PgConn {
 public:
  // Connects with `url` (a postgresql:// URI or conninfo). Password, TLS (sslmode, sslrootcert)
  // and everything else follow libpq: PGPASSWORD, ~/.pgpass, PGSSLMODE ... The client encoding is
  // UTF8. Errors are kConnectivity and name the URL without its password.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // The URL without its password (for messages).
  const std::string& display() const { return display_; }

  // Runs `sql` with $1..$n bound to `params`. SQL errors become Errors naming `what` and the
  // server's message; a unique violation is kValidation, a lost connection kConnectivity, the rest
  // kInternal. One reconnect is tried when the connection was lost outside a transaction.
  Result<PgResult> Exec(const char* sql, const std::vector<PgParam>& params, std::string_view what);
  // Runs SQL without parameters (possibly several statements; DDL).
  Status ExecScript(const char* sql, std::string_view what);
  // True inside BEGIN ... COMMIT.
  bool InTransaction() const;
  // The server's process id for this session (pg_backend_pid()).
  int BackendPid() const;

 private:
  PgConn(pg_conn* c, std::string url, std::string display);
  Error ErrorFrom(pg_result* r, std::string_view what) const;

  pg_conn* conn_;
  std::string url_;
  std::string display_;
};

// BEGIN ... COMMIT; rolls back when destroyed without Commit(). `begin_sql` picks the isolation
// level ("BEGIN", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").
class PgTransaction {
 public:
  static Result<PgTransaction> Begin(PgConn& conn, const char* begin_sql, std::string_view what);
  PgTransaction(PgTransaction&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  PgTransaction(const PgTransaction&) = delete;
  ~PgTransaction();
  Status Commit();

 private:
  explicit PgTransaction(PgConn* c) : conn_(c) {}
  PgConn* conn_;
};

}  // namespace fleetpatch::state
