#include "state/sqlite_util.h"

#include <string>

namespace fleetpatch::state {

Error SqliteError(sqlite3* db, int rc, std::string_view what, const std::string& path) {
  const int primary = rc & 0xff;
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg = "state store " + path + ": " + std::string(what) + " failed: " + detail;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::Timeout(msg + " (another fleetpatch process kept the database busy; try again)");
    case SQLITE_FULL:
      return Error::Permission(msg + " (the disk is full; free space and resume the run)");
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Error::Config(msg + " (check the --state path and its permissions)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::Config(msg +
                           " (the file is not a fleetpatch state store or is damaged; "
                           "point --state at another path)");
    case SQLITE_IOERR:
      return Error::Internal(msg + " (an I/O error: check the disk holding the state store)");
    default:
      return Error::Internal(msg);
  }
}

Statement& Statement::Bind(int index, std::string_view text) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so temporaries are safe to bind.
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step(std::string_view what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = SqliteError(db_, rc, what, *path_);
  sqlite3_reset(stmt_);
  return e;
}

Status Statement::Run(std::string_view what) {
  for (;;) {
    FP_ASSIGN_OR_RETURN(bool row, Step(what));
    if (!row) break;
  }
  sqlite3_reset(stmt_);
  return OkStatus();
}

std::string Statement::Text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<std::string> Statement::OptText(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Text(col);
}

Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbHandle handle(raw);  // sqlite3_open_v2 may allocate a handle even on failure
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "opening the database", path);
  sqlite3_extended_result_codes(raw, 1);
  return std::unique_ptr<Db>(new Db(std::move(handle), path));
}

Status Db::Exec(const char* sql, std::string_view what) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  sqlite3_free(err);  // the same text is available from sqlite3_errmsg
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, what, path_);
  return OkStatus();
}

Result<Statement> Db::Prepare(const char* sql, std::string_view what) {
  auto it = cache_.find(std::string_view(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtHandle handle(raw);
    if (rc != SQLITE_OK) return SqliteError(db_.get(), rc, what, path_);
    it = cache_.emplace(sql, std::move(handle)).first;
  }
  return Statement(db_.get(), it->second.get(), &path_);
}

Result<std::string> Db::QueryText(const char* sql, std::string_view what) {
  FP_ASSIGN_OR_RETURN(Statement st, Prepare(sql, what));
  FP_ASSIGN_OR_RETURN(bool row, st.Step(what));
  return row ? st.Text(0) : std::string();
}

Result<int64_t> Db::QueryInt(const char* sql, std::string_view what) {
  FP_ASSIGN_OR_RETURN(Statement st, Prepare(sql, what));
  FP_ASSIGN_OR_RETURN(bool row, st.Step(what));
  return row ? st.Int(0) : int64_t{0};
}

Result<Transaction> Transaction::Begin(Db& db, std::string_view what) {
  FP_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE", what));
  return Transaction(db, what);
}

Transaction::~Transaction() {
  if (open_) {
    // Nothing useful to do with a failed rollback: SQLite rolls back on close or next open anyway.
    (void)db_->Exec("ROLLBACK", what_);
  }
}

Status Transaction::Commit() {
  FP_RETURN_IF_ERROR(db_->Exec("COMMIT", what_));
  open_ = false;
  return OkStatus();
}

}  // namespace fleetpatch::state
