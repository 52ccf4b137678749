// Core dumps off for the whole process: a core file (or a debugger attached by another process of
// the same user) would hold the AWS secret keys and session tokens fleetpatch keeps in memory.
// main() calls DisableCoreDumps first, before any credential is read.
// Thread-safety: call once at start-up, before threads start.
#pragma once

#include "common/error.h"

namespace fleetpatch {

// Sets RLIMIT_CORE to 0 (soft and hard, so nothing later can raise it) and marks the process not
// dumpable (PR_SET_DUMPABLE 0: no core, no ptrace attach by non-root processes). Returns kInternal
// naming the call that failed; the caller may go on (the other measure still applies).
Status DisableCoreDumps();

}  // namespace fleetpatch
