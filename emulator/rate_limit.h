// Rate limiting, one step of the dispatcher: a token bucket per (bucket, account, region) on the
// real (injected) clock, as AWS throttles per account and region. Each operation names its bucket
// in its service table.
// Thread-safety: Impl::buckets under buckets_mu.
#pragma once

#include <string>

#include "emulator/emulator_impl.h"

namespace fleetpatch::emulator {

// The default buckets: name -> {burst, per second}.
std::map<std::string, RateLimit> DefaultRateLimits();

// Takes one token; false when the bucket is empty (the caller answers the service's throttle).
// Always true while rate limits are disabled.
bool TakeToken(Emulator::Impl& im, const std::string& bucket, const std::string& account_id,
               const std::string& region);

}  // namespace fleetpatch::emulator
