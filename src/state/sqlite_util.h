// Thin RAII wrappers over the SQLite C API, private to src/state: sqlite3* and sqlite3_stmt* never
// leave this folder. Every statement is prepared with placeholders; values are only ever bound.
// Thread-safety: none. A Db and its Statements are used by one thread at a time (SqliteStateStore
// serialises access with its own mutex).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace fleetpatch::state {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbHandle = std::unique_ptr<sqlite3, SqliteCloser>;
using StmtHandle = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

// Converts an SQLite result code into an Error the user can act on. `what` says what was being done
// ("saving instances"), `path` names the database file.
Error SqliteError(sqlite3* db, int rc, std::string_view what, const std::string& path);

// A prepared statement borrowed from a Db's cache. Resets and clears its bindings when it goes out
// of scope, so the cached statement is ready for the next user.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt, const std::string* path) : db_(db), stmt_(stmt), path_(path) {}
  ~Statement() {
    if (stmt_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_), path_(o.path_) { o.stmt_ = nullptr; }

  // Binders: index is 1-based, as in SQLite.
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, bool value) { return Bind(index, static_cast<int64_t>(value ? 1 : 0)); }
  Statement& BindNull(int index);
  // Binds text, or NULL when absent.
  Statement& Bind(int index, const std::optional<std::string>& text) {
    return text ? Bind(index, *text) : BindNull(index);
  }

  // Steps once: true when a row is available, false when done.
  Result<bool> Step(std::string_view what);
  // Steps to completion, for statements that return no rows of interest.
  Status Run(std::string_view what);
  // Resets so the statement can be executed again with new bindings (bindings are kept).
  void Reset() { sqlite3_reset(stmt_); }

  // Column readers for the current row (0-based).
  std::string Text(int col) const;
  std::optional<std::string> OptText(int col) const;  // nullopt for NULL
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  const std::string* path_;
};

// One open database connection plus a cache of its prepared statements, keyed by SQL text (the SQL
// is always a compile-time constant, so the cache stays small).
class Db {
 public:
  // Opens `path` with `flags` (SQLITE_OPEN_*). Does not create directories or set pragmas.
  static Result<std::unique_ptr<Db>> Open(const std::string& path, int flags);

  sqlite3* raw() const { return db_.get(); }
  const std::string& path() const { return path_; }

  // Executes SQL with no parameters (pragmas, DDL, BEGIN/COMMIT).
  Status Exec(const char* sql, std::string_view what);
  // Returns a cached prepared statement for `sql`.
  Result<Statement> Prepare(const char* sql, std::string_view what);
  // Runs a pragma-style query and returns the first column of the first row as text ("" if none).
  Result<std::string> QueryText(const char* sql, std::string_view what);
  Result<int64_t> QueryInt(const char* sql, std::string_view what);
  // Rows changed by the last INSERT/UPDATE/DELETE, and the rowid of the last INSERT.
  int64_t Changes() const { return sqlite3_changes64(db_.get()); }
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }

 private:
  Db(DbHandle db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
  // Declared before db_ so statements are finalised before the connection closes.
  std::map<std::string, StmtHandle, std::less<>> cache_;
  DbHandle db_;
  std::string path_;
};

// A transaction that rolls back unless committed. Writers use BEGIN IMMEDIATE so that two processes
// never deadlock upgrading read locks to write locks (busy_timeout then simply waits).
class Transaction {
 public:
  static Result<Transaction> Begin(Db& db, std::string_view what);
  Transaction(Transaction&& o) noexcept : db_(o.db_), what_(o.what_), open_(o.open_) { o.open_ = false; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  Status Commit();

 private:
  Transaction(Db& db, std::string_view what) : db_(&db), what_(what), open_(true) {}
  Db* db_;
  std::string_view what_;
  bool open_;
};

}  // namespace fleetpatch::state
