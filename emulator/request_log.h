// The request log, the dispatcher's last step: every answered request (also errors, faults and
// dropped connections) is recorded; counts stay exact when old entries are dropped.
// Thread-safety: Impl::log under log_mu.
#pragma once

#include "emulator/emulator_impl.h"

namespace fleetpatch::emulator {

void RecordRequest(Emulator::Impl& im, const RequestLogEntry& entry);

}  // namespace fleetpatch::emulator
