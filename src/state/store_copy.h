// Copying runs from one state store to another (`fleetpatch state copy`), e.g. a team moving its
// SQLite history into a shared PostgreSQL store. Backend-neutral: it uses only StateStore.
//
// Idempotent: a run already in the target is completed, not duplicated (zones, instances and
// results are upserts; only the journal events the target lacks are appended, in order), so an
// interrupted copy is finished by running it again. After each run, the target is verified
// against the source (counts per phase and status, zones, events); a difference is an error.
// The target's updated_at becomes the time of the copy; everything else is kept as recorded.
// Thread-safety: a plain function; the stores must not be written by others during the copy.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "state/state_store.h"

namespace fleetpatch::state {

struct CopyStats {
  int runs_copied = 0;     // created in the target
  int runs_completed = 0;  // already there (fully or partly) and brought up to date
  int64_t instances = 0;
  int64_t events = 0;  // appended to the target
};

// Copies every run of `from` into `to`, oldest first (so "latest" stays the same run).
// `batch_size` instances are read and written at a time. Stops at the first error.
Result<CopyStats> CopyRuns(StateStore& from, StateStore& to, size_t batch_size = 1000);

}  // namespace fleetpatch::state
