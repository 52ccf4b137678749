// The rules for several workers on one run that both state stores enforce (state_store.h: zone
// leases and the patch rollout), as pure functions. Each backend loads the rows it needs inside
// its transaction, asks these functions what follows, and writes that back, so SQLite and
// PostgreSQL decide alike and the rules are tested without a database.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/run_model.h"
#include "state/state_store.h"

namespace fleetpatch::state {

// ---- zone leases ----

// kValidation unless ttl > 0.
Status CheckLeaseTtl(std::chrono::milliseconds ttl);
// The journal's warning when `lease` was taken from lease.taken_from, whose lease ran out at
// `expired_at`.
Event TakeoverEvent(const ZoneLease& lease, const std::string& expired_at);
// The kValidation error for a renewal or release of a lease that is no longer the worker's.
// `holder`: who holds the zone now ("" nobody); `done`: the zone was released as finished.
Error LostLeaseError(const ZoneLease& lease, const std::string& holder, bool done);

// ---- the patch rollout ----

// The stored record of a run's rollout.
struct RolloutRecord {
  RolloutPolicy policy;
  int wave = 0;
  int64_t failures = 0;
  std::string stop_reason;
};

// How many instances of a wave were admitted and how many of those ended.
struct WaveCounts {
  int64_t admitted = 0;
  int64_t ended = 0;
};

// The wave number stored for an instance whose end was recorded without admission.
inline constexpr int kOutsideAnyWave = -1;
inline constexpr const char* kCanaryFailedReason = "canary wave failed: rollout stopped";

// kValidation naming the bad field, or OK.
Status CheckRolloutPolicy(const RolloutPolicy& policy);
bool IsCanaryWave(const RolloutPolicy& policy, int wave);
// The instances wave `wave` takes: the canary size for the canary wave, else the wave size.
int64_t WaveCapacity(const RolloutPolicy& policy, int wave);
// "error budget spent (F failures, A allowed): rollout stopped", the workflow's wording.
std::string BudgetSpentReason(int64_t failures, int64_t allowed);
// kNotFound's message for a run without a rollout.
std::string NoRolloutMessage(const std::string& run_id, const std::string& store);

// The decision for an instance not admitted yet. May change `record` (the next wave opens:
// record->wave grows; the budget is found spent: record->stop_reason is set); the caller writes
// it back, and stores the instance in the wave when admitted.
Admission DecideAdmission(RolloutRecord* record, const WaveCounts& open_wave);
// The answer for an instance already known to the rollout, stored with `wave`.
Admission AdmittedBefore(const RolloutPolicy& policy, int wave);
// Counts an instance's first recorded end into `record` (`wave` may be kOutsideAnyWave).
void CountPatchEnd(RolloutRecord* record, int wave, bool failed);
// The status a caller sees.
RolloutStatus StatusOf(const RolloutRecord& record, const WaveCounts& open_wave);

}  // namespace fleetpatch::state
