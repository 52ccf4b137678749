// CachingProvider: a decorator that caches the credentials of an expiring source (credential_process,
// container, IMDS, AssumeRole, web identity) and refreshes them shortly before they expire.
//
// Refresh policy: credentials are due for refresh when less than max(refresh_before, refresh_fraction x
// lifetime) is left (capped at half the lifetime, so short-lived credentials are still used), and count
// as expired `expiry_skew` before their Expiration (so a request signed now is not rejected in flight).
// When a refresh fails while the cached credentials are still valid, they keep being served, a warning
// is logged, and the refresh is retried after `retry_after_failure`; when they have expired, the error
// is returned. Credentials without an expiration are fetched once and kept.
//
// Thread-safety: safe for concurrent callers. At most one refresh runs at a time: callers that find the
// credentials due while another refresh runs get the still-valid ones; callers that need fresh ones
// wait and share that refresh's outcome, so N concurrent callers cause exactly one source call.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "aws/credentials.h"
#include "common/clock.h"

namespace fleetpatch::aws {

class CachingProvider final : public CredentialsProvider {
 public:
  struct Options {
    std::chrono::seconds refresh_before{300};      // Default: refresh 5 minutes before expiry...
    double refresh_fraction = 0.1;                 // ...or when less than 10% of the lifetime is left.
    std::chrono::seconds expiry_skew{30};          // Default: treat credentials as expired 30 s early.
    std::chrono::seconds retry_after_failure{30};  // Default: wait 30 s after a failed early refresh.
  };

  // `description` names the source in logs and errors (e.g. "role arn:aws:iam::1:role/x"); never secret.
  CachingProvider(std::shared_ptr<CredentialsProvider> source, Clock& clock, std::string description,
                  Options options);
  CachingProvider(std::shared_ptr<CredentialsProvider> source, Clock& clock, std::string description)
      : CachingProvider(std::move(source), clock, std::move(description), Options()) {}

  // Primes the cache with credentials already fetched (e.g. by the chain while probing a source).
  void Seed(Credentials credentials);

  Result<Credentials> GetCredentials() override;

 private:
  bool IsExpired(const Credentials& c, std::chrono::system_clock::time_point now) const;
  bool NeedsRefresh(const Credentials& c, std::chrono::system_clock::time_point now) const;

  std::shared_ptr<CredentialsProvider> source_;
  Clock& clock_;
  std::string description_;
  Options options_;

  std::mutex refresh_mu_;  // held while calling the source; ordered before mu_

  std::mutex mu_;  // guards the fields below
  std::optional<Credentials> cached_;
  std::chrono::system_clock::time_point obtained_at_{};
  bool refreshing_ = false;
  unsigned long long generation_ = 0;  // bumped after every refresh attempt
  std::optional<Error> last_error_;
  std::chrono::system_clock::time_point next_attempt_{};
};

}  // namespace fleetpatch::aws
