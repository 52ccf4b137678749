#include "emulator/auth.h"

#include "emulator/sigv4_check.h"

namespace fleetpatch::emulator {

Identity Authenticate(Emulator::Impl& im, const Request& req, const Route& route, RequestLogEntry* entry) {
  const ServiceErrors& errors = route.service->errors;
  if (!route.auth.present) throw errors.missing_auth;
  if (!route.auth.well_formed) throw errors.malformed_auth;
  Identity identity;
  {
    std::shared_lock<std::shared_mutex> lock(im.keys_mu);
    auto it = im.keys.find(route.auth.access_key_id);
    if (it == im.keys.end()) throw errors.unknown_key;
    identity = it->second;
  }
  if (req.Header("X-Amz-Security-Token") != identity.session_token) throw errors.unknown_key;
  entry->account_id = identity.account_id;
  entry->caller_arn = identity.arn;
  if (im.clock->Now() >= identity.expires) throw errors.expired;
  if (im.options.strict_sigv4) {
    SigV4Check check =
        CheckSigV4(req, identity.secret_access_key, im.clock->Now(), im.options.max_clock_skew);
    if (check == SigV4Check::kClockSkew) throw errors.clock_skew;
    if (check != SigV4Check::kValid) throw errors.bad_signature;
  }
  return identity;
}

}  // namespace fleetpatch::emulator
