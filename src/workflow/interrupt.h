// Ctrl-C / SIGTERM handling for long runs. The first signal asks the run to stop starting new work
// (the workflow watches InterruptToken()); the second exits at once with code 130: the state store's
// transactions keep it consistent. Thread-safe (an atomic flag set from the signal handler).
#pragma once

#include "workflow/cancel_token.h"

namespace fleetpatch::workflow {

class InterruptGuard {
 public:
  InterruptGuard();   // installs SIGINT/SIGTERM handlers and clears the flag
  ~InterruptGuard();  // restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

// The token the first signal cancels (also RequestInterrupt()); cleared by ClearInterrupt().
CancelToken InterruptToken();

bool Interrupted();
void RequestInterrupt();  // as if a signal arrived (tests, internal aborts)
void ClearInterrupt();

}  // namespace fleetpatch::workflow
