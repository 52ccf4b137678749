// Error and Result<T>: how every fallible operation in fleetpatch reports failure.
//
// An Error carries a category (which decides the process exit code, see exit_codes.h), a message
// written for the user (what went wrong and what to check), and, for AWS failures, the AWS error
// code, HTTP status, request id and whether the call may be retried.
// Messages must never contain secrets (secret keys, session tokens, signatures).
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace fleetpatch {

enum class ErrorCategory {
  kInternal,      // a bug or an unexpected condition
  kConfig,        // usage or configuration error (bad flag, bad file)
  kAuth,          // credentials missing/expired/invalid, role could not be assumed
  kConnectivity,  // DNS, TCP, TLS, connection reset, HTTP transport failure
  kPermission,    // access denied, unauthorized operation, quota/limit exceeded
  kTimeout,       // an operation or wait exceeded its deadline
  kValidation,    // nothing eligible, a phase prerequisite missing, a bad request
  kInterrupted,   // SIGINT/SIGTERM
  kThrottled,     // AWS throttling that outlived the retries (exits as connectivity)
  kAws,           // any other error answered by an AWS service
  kNotFound,      // a requested thing does not exist (run id, AMI, command)
};

const char* CategoryName(ErrorCategory c);

struct Error {
  ErrorCategory category = ErrorCategory::kInternal;
  std::string message;     // for the user; never contains secrets
  std::string aws_code;    // e.g. "RequestLimitExceeded"; empty when not from AWS
  int http_status = 0;     // 0 when no HTTP response was received
  std::string request_id;  // AWS request id, when known
  bool retryable = false;

  // "message (AWS code X, HTTP 400, request id R)".
  std::string ToString() const;

  static Error Internal(std::string msg) { return {ErrorCategory::kInternal, std::move(msg)}; }
  static Error Config(std::string msg) { return {ErrorCategory::kConfig, std::move(msg)}; }
  static Error Auth(std::string msg) { return {ErrorCategory::kAuth, std::move(msg)}; }
  static Error Connectivity(std::string msg, bool retryable = true) {
    Error e{ErrorCategory::kConnectivity, std::move(msg)};
    e.retryable = retryable;
    return e;
  }
  static Error Permission(std::string msg) { return {ErrorCategory::kPermission, std::move(msg)}; }
  static Error Timeout(std::string msg) { return {ErrorCategory::kTimeout, std::move(msg)}; }
  static Error Validation(std::string msg) { return {ErrorCategory::kValidation, std::move(msg)}; }
  static Error Interrupted(std::string msg) { return {ErrorCategory::kInterrupted, std::move(msg)}; }
  static Error NotFound(std::string msg) { return {ErrorCategory::kNotFound, std::move(msg)}; }
};

// Result<T>: either a T or an Error. Check ok() before value(); value() on an error asserts.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error& error() {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Status: a Result with no value.
struct Ok {};
using Status = Result<Ok>;
inline Status OkStatus() { return Ok{}; }

}  // namespace fleetpatch

// Propagate an error from an expression returning Result<...> / Status.
#define FP_RETURN_IF_ERROR(expr)                     \
  do {                                               \
    auto fp_status_ = (expr);                        \
    if (!fp_status_.ok()) return fp_status_.error(); \
  } while (0)

#define FP_CONCAT_INNER_(a, b) a##b
#define FP_CONCAT_(a, b) FP_CONCAT_INNER_(a, b)
// FP_ASSIGN_OR_RETURN(auto x, Expr()): assigns the value or returns the error.
#define FP_ASSIGN_OR_RETURN(lhs, expr) FP_ASSIGN_OR_RETURN_IMPL_(FP_CONCAT_(fp_result_, __LINE__), lhs, expr)
#define FP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.error();              \
  lhs = std::move(tmp).value()
