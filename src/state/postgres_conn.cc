#include "state/postgres_conn.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <regex>

namespace fleetpatch::state {

bool IsPostgresUrl(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

std::string RedactPostgresUrl(std::string_view url) {
  std::string out(url);
  // user:password@ in the authority of a URI.
  static const std::regex kUserInfo(R"(^(postgres(?:ql)?://[^:/@?]*):[^@/?]*@)");
  out = std::regex_replace(out, kUserInfo, "$1:***@");
  // password=... as a URI query parameter or a conninfo key (quoted or not).
  static const std::regex kParam(R"((^|[?&\s])password\s*=\s*('[^']*'|[^&\s]*))", std::regex::icase);
  return std::regex_replace(out, kParam, "$1password=***");
}

std::string ValidUtf8(std::string_view s) {
  static constexpr const char* kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size() && c != 0;
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 2) ok = c >= 0xC2;  // no overlong forms
    if (ok && len == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong; surrogates
    }
    if (ok && len == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      ok = !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90) && c <= 0xF4;
    }
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

PgParam TextArray(const std::vector<std::string>& values) {
  if (values.empty()) return std::nullopt;
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : ValidUtf8(values[i])) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// ---------------------------------------------------------------------------------------------
// PgResult

PgResult::PgResult(pg_result* r) : r_(r) {}
PgResult::~PgResult() {
  if (r_) PQclear(r_);
}
PgResult& PgResult::operator=(PgResult&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
int PgResult::rows() const { return r_ ? PQntuples(r_) : 0; }
bool PgResult::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}
int64_t PgResult::Int(int row, int col) const { return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10); }
bool PgResult::Bool(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
int64_t PgResult::Affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : "";
  return *n ? std::strtoll(n, nullptr, 10) : 0;
}

// ---------------------------------------------------------------------------------------------
// PgConn

namespace {

pg_conn* ConnectRaw(const std::string& url) {
  // expand_dbname: the "dbname" value is a full URI or conninfo, as with psql.
  const char* keys[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
  const char* values[] = {url.c_str(), "fleetpatch", "UTF8", nullptr};
  return PQconnectdbParams(keys, values, 1);
}

std::string FirstLine(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

PgConn::PgConn(pg_conn* c, std::string url, std::string display)
    : conn_(c), url_(std::move(url)), display_(std::move(display)) {}

PgConn::~PgConn() {
  if (conn_) PQfinish(conn_);
}

Result<std::unique_ptr<PgConn>> PgConn::Connect(const std::string& url) {
  const std::string display = RedactPostgresUrl(url);
  pg_conn* c = ConnectRaw(url);
  if (!c) return Error::Connectivity("cannot connect to the state store " + display + ": out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    // libpq's message names host, port and the reason; it never repeats the password.
    std::string msg = RedactPostgresUrl(FirstLine(PQerrorMessage(c)));
    PQfinish(c);
    return Error::Connectivity(fmt::format(
        "cannot connect to the PostgreSQL state store {}: {} (check the URL, the server, PGPASSWORD or "
        "~/.pgpass, and sslmode)",
        display, msg));
  }
  return std::unique_ptr<PgConn>(new PgConn(c, url, display));
}

Error PgConn::ErrorFrom(pg_result* r, std::string_view what) const {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string msg = RedactPostgresUrl(FirstLine(r ? PQresultErrorMessage(r) : PQerrorMessage(conn_)));
  if (msg.empty()) msg = RedactPostgresUrl(FirstLine(PQerrorMessage(conn_)));
  const std::string text = fmt::format("state store {}: {} failed: {}", display_, what, msg);
  if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08")) return Error::Connectivity(text);
  if (sqlstate == "23505") return Error::Validation(text);
  if (sqlstate == "25006") return Error::Config(text + " (the store was opened read-only)");
  if (sqlstate.starts_with("42501")) return Error::Permission(text + " (check the database role's grants)");
  return Error::Internal(text);
}

Result<PgResult> PgConn::Exec(const char* sql, const std::vector<PgParam>& params, std::string_view what) {
  if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);  // a session dropped outside a transaction
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PgResult r(
      PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorFrom(r.raw(), what);
  return r;
}

Status PgConn::ExecScript(const char* sql, std::string_view what) {
  if (PQstatus(conn_) != CONNECTION_OK) PQreset(conn_);
  PgResult r(PQexec(conn_, sql));
  const ExecStatusType st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorFrom(r.raw(), what);
  return OkStatus();
}

bool PgConn::InTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

int PgConn::BackendPid() const { return PQbackendPID(conn_); }

// ---------------------------------------------------------------------------------------------
// PgTransaction

Result<PgTransaction> PgTransaction::Begin(PgConn& conn, const char* begin_sql, std::string_view what) {
  FP_RETURN_IF_ERROR(conn.ExecScript(begin_sql, what));
  return PgTransaction(&conn);
}

PgTransaction::~PgTransaction() {
  if (conn_ && conn_->InTransaction()) (void)conn_->ExecScript("ROLLBACK", "rolling back");
}

Status PgTransaction::Commit() {
  PgConn* c = conn_;
  conn_ = nullptr;
  return c->ExecScript("COMMIT", "committing");
}

}  // namespace fleetpatch::state
