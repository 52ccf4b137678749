#include "aws/credentials_cache.h"

#include <spdlog/spdlog.h>

namespace fleetpatch::aws {

CachingProvider::CachingProvider(std::shared_ptr<CredentialsProvider> source, Clock& clock,
                                 std::string description, Options options)
    : source_(std::move(source)), clock_(clock), description_(std::move(description)), options_(options) {}

void CachingProvider::Seed(Credentials credentials) {
  std::lock_guard<std::mutex> lock(mu_);
  cached_ = std::move(credentials);
  obtained_at_ = clock_.Now();
}

bool CachingProvider::IsExpired(const Credentials& c, std::chrono::system_clock::time_point now) const {
  return c.expiration && now >= *c.expiration - options_.expiry_skew;
}

bool CachingProvider::NeedsRefresh(const Credentials& c, std::chrono::system_clock::time_point now) const {
  if (!c.expiration) return false;
  auto lifetime = *c.expiration - obtained_at_;
  auto window = std::max<std::chrono::system_clock::duration>(
      options_.refresh_before,
      std::chrono::duration_cast<std::chrono::system_clock::duration>(lifetime * options_.refresh_fraction));
  window = std::min<std::chrono::system_clock::duration>(window, lifetime / 2);
  return now >= *c.expiration - window || IsExpired(c, now);
}

Result<Credentials> CachingProvider::GetCredentials() {
  unsigned long long seen_generation = 0;
  std::optional<Credentials> still_valid;  // due for refresh but usable meanwhile
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock_.Now();
    if (cached_ && !NeedsRefresh(*cached_, now)) return *cached_;
    if (cached_ && !IsExpired(*cached_, now)) {
      // Due but still valid: let one thread refresh while the others keep working.
      if (refreshing_ || now < next_attempt_) return *cached_;
      still_valid = cached_;
    }
    seen_generation = generation_;
  }

  std::unique_lock<std::mutex> refresh_lock(refresh_mu_, std::defer_lock);
  if (still_valid) {
    if (!refresh_lock.try_lock()) return std::move(*still_valid);  // another thread is refreshing
  } else {
    refresh_lock.lock();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = clock_.Now();
    if (generation_ != seen_generation) {
      // A refresh finished while this thread waited: share its outcome instead of calling again.
      if (cached_ && !IsExpired(*cached_, now)) return *cached_;
      if (last_error_) return *last_error_;
    }
    if (cached_ && !NeedsRefresh(*cached_, now)) return *cached_;
    refreshing_ = true;
  }

  auto fresh = source_->GetCredentials();

  std::lock_guard<std::mutex> lock(mu_);
  refreshing_ = false;
  ++generation_;
  auto now = clock_.Now();
  if (fresh.ok() && IsExpired(*fresh, now)) {
    fresh = Error::Auth(description_ + " returned credentials that expire at " +
                        FormatIso8601(*fresh->expiration) +
                        ", which is already past: check this machine's clock");
  }
  if (fresh.ok()) {
    cached_ = *fresh;
    obtained_at_ = now;
    last_error_.reset();
    next_attempt_ = {};
    return std::move(fresh).value();
  }
  Error error = fresh.error();
  if (cached_ && !IsExpired(*cached_, now)) {
    spdlog::warn("could not refresh the credentials of {} ({}); using the current ones, valid until {}",
                 description_, error.message, FormatIso8601(*cached_->expiration));
    last_error_ = error;
    next_attempt_ = now + options_.retry_after_failure;
    return *cached_;
  }
  if (cached_ && cached_->expiration) {
    error.message = "the credentials of " + description_ + " expired at " +
                    FormatIso8601(*cached_->expiration) + " and could not be refreshed: " + error.message;
  }
  last_error_ = error;
  return error;
}

}  // namespace fleetpatch::aws
