// The process exit codes, one per error category. The single table users read in the README and
// `fleetpatch --help`; main() maps a final Error to a code only through ExitCodeFor().
#pragma once

#include "common/error.h"

namespace fleetpatch {

enum ExitCode : int {
  kExitOk = 0,                // everything succeeded
  kExitInstanceFailures = 1,  // the run finished, but some instances failed (see the reports)
  kExitConfig = 2,            // usage or configuration error; nothing was done
  kExitAuth = 3,              // credentials missing/expired/invalid, or a role could not be assumed
  kExitConnectivity = 4,      // could not reach AWS (network, TLS, endpoint, persistent throttling)
  kExitPermission = 5,        // access denied or a quota/limit reached
  kExitTimeout = 6,           // a phase or wait ran out of time
  kExitValidation = 7,        // nothing eligible, or a phase's prerequisite is missing
  kExitInternal = 70,         // a bug: please report it (EX_SOFTWARE)
  kExitInterrupted = 130,     // stopped by Ctrl-C / SIGTERM; resume with --resume
};

int ExitCodeFor(ErrorCategory category);

// One line per exit code, for --help and the README.
const char* ExitCodeTable();

}  // namespace fleetpatch
