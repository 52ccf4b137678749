// Verifies an incoming request's SigV4 signature against the secret key of the access key it names,
// and the request time against the server clock (AWS allows 15 minutes of skew).
// Thread-safety: a pure function.
#pragma once

#include <chrono>
#include <string>

#include "emulator/emulator.h"

namespace fleetpatch::emulator {

enum class SigV4Check {
  kValid,
  kMalformed,          // missing X-Amz-Date or unparsable Authorization
  kClockSkew,          // X-Amz-Date too far from now
  kSignatureMismatch,  // the signature does not match the secret
};

SigV4Check CheckSigV4(const Request& request, const std::string& secret_access_key,
                      std::chrono::system_clock::time_point now, std::chrono::seconds max_skew);

}  // namespace fleetpatch::emulator
