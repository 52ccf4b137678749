// Authentication: the access key the request is signed with must have been issued (the fleet's
// base user, or AssumeRole), with its session token, unexpired, and (strict mode) a valid SigV4
// signature within the allowed clock skew. Failures are answered with the service's own error codes.
// Thread-safety: reads Impl::keys under keys_mu.
#pragma once

#include "emulator/routing.h"

namespace fleetpatch::emulator {

// Returns the caller's identity and names it in *entry (account, ARN) as soon as it is known.
// Throws the service's authentication ApiError.
Identity Authenticate(Emulator::Impl& im, const Request& request, const Route& route, RequestLogEntry* entry);

}  // namespace fleetpatch::emulator
