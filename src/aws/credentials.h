// AWS credentials and the provider seam. Credentials hold secrets: never log, print or put them in
// error messages; use Redacted() when a description is needed.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/error.h"

namespace fleetpatch::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;                                    // secret
  std::string session_token;                                        // secret; empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // nullopt: does not expire
  std::string source;  // where they came from, e.g. "environment", "profile prod", "assume-role arn:..."

  bool empty() const { return access_key_id.empty() || secret_access_key.empty(); }
  // "AKIA****MPLE from environment": safe to log.
  std::string Redacted() const;
};

// Thread-safety: implementations must be safe to call from many threads (providers that cache
// refresh under a lock, so concurrent callers never trigger duplicate refreshes).
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Returns valid credentials or an Error of category kAuth that tells the user what to check.
  virtual Result<Credentials> GetCredentials() = 0;
};

}  // namespace fleetpatch::aws
