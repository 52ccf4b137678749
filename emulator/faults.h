// Fault injection, one step of the dispatcher: the FaultSpec set for the operation (or "*") decides,
// by the seeded random source, whether this call is delayed, dropped, or answered with the
// service's throttling, internal or unavailable error. Works for every operation in the tables.
// Thread-safety: reads Impl::faults under faults_mu.
#pragma once

#include <chrono>
#include <optional>

#include "emulator/service.h"

namespace fleetpatch::emulator {

struct FaultDecision {
  std::chrono::nanoseconds delay{0};  // added before the answer (also to error answers)
  bool drop = false;                  // drop the connection without an answer
  std::optional<ApiError> error;      // answer this instead of calling the handler
};

FaultDecision DecideFault(Emulator::Impl& im, const Service& service, const std::string& operation);

}  // namespace fleetpatch::emulator
