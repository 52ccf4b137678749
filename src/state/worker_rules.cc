#include "state/worker_rules.h"

#include <fmt/format.h>

namespace fleetpatch::state {

// ---- zone leases ----

Status CheckLeaseTtl(std::chrono::milliseconds ttl) {
  if (ttl.count() > 0) return OkStatus();
  return Error::Validation(
      fmt::format("a zone lease needs a positive time to live (got {} ms)", ttl.count()));
}

Event TakeoverEvent(const ZoneLease& lease, const std::string& expired_at) {
  Event e;
  e.level = "warning";
  e.zone = lease.zone;
  e.message = fmt::format(
      "worker {} took zone {} over from worker {}, whose lease expired at {}; it resumes the "
      "zone from the recorded state",
      lease.worker_id, lease.zone, lease.taken_from, expired_at);
  return e;
}

Error LostLeaseError(const ZoneLease& lease, const std::string& holder, bool done) {
  const std::string now = done             ? "the zone is done"
                          : holder.empty() ? "nobody holds it"
                                           : "worker " + holder + " holds it";
  return Error::Validation(
      fmt::format("worker {} no longer holds zone {} of run {} ({}): stop working the zone", lease.worker_id,
                  lease.zone, lease.run_id, now));
}

// ---- the patch rollout ----

Status CheckRolloutPolicy(const RolloutPolicy& p) {
  if (p.canary_size < 0)
    return Error::Validation(fmt::format("rollout: canary size {} is negative", p.canary_size));
  if (p.wave_size < 1) return Error::Validation(fmt::format("rollout: wave size {} is below 1", p.wave_size));
  if (p.allowed_failures < 0) {
    return Error::Validation(fmt::format("rollout: allowed failures {} is negative", p.allowed_failures));
  }
  return OkStatus();
}

bool IsCanaryWave(const RolloutPolicy& policy, int wave) { return wave == 0 && policy.canary_size > 0; }

int64_t WaveCapacity(const RolloutPolicy& policy, int wave) {
  return IsCanaryWave(policy, wave) ? policy.canary_size : policy.wave_size;
}

std::string BudgetSpentReason(int64_t failures, int64_t allowed) {
  return fmt::format("error budget spent ({} failures, {} allowed): rollout stopped", failures, allowed);
}

std::string NoRolloutMessage(const std::string& run_id, const std::string& store) {
  return fmt::format("run {} has no patch rollout in the state store {} (StartRollout first)", run_id, store);
}

namespace {

bool BudgetSpent(const RolloutRecord& r) { return r.failures > r.policy.allowed_failures; }

Admission Admit(const RolloutPolicy& policy, int wave) {
  return {AdmitDecision::kAdmitted, wave, IsCanaryWave(policy, wave), ""};
}

}  // namespace

Admission DecideAdmission(RolloutRecord* r, const WaveCounts& open) {
  if (r->stop_reason.empty() && BudgetSpent(*r)) {
    r->stop_reason = BudgetSpentReason(r->failures, r->policy.allowed_failures);
  }
  if (!r->stop_reason.empty()) return {AdmitDecision::kStopped, -1, false, r->stop_reason};
  if (open.admitted < WaveCapacity(r->policy, r->wave)) return Admit(r->policy, r->wave);
  if (open.ended < open.admitted) return {AdmitDecision::kWait, -1, false, ""};
  ++r->wave;  // the open wave is full and over: the next one opens with this instance
  return Admit(r->policy, r->wave);
}

Admission AdmittedBefore(const RolloutPolicy& policy, int wave) {
  if (wave == kOutsideAnyWave) {
    return {AdmitDecision::kStopped, -1, false, "its patch already ended outside the rollout's waves"};
  }
  return Admit(policy, wave);
}

void CountPatchEnd(RolloutRecord* r, int wave, bool failed) {
  if (!failed) return;
  ++r->failures;
  if (!r->stop_reason.empty()) return;
  if (BudgetSpent(*r)) {
    r->stop_reason = BudgetSpentReason(r->failures, r->policy.allowed_failures);
  } else if (IsCanaryWave(r->policy, wave) && r->policy.canary_must_succeed) {
    r->stop_reason = kCanaryFailedReason;
  }
}

RolloutStatus StatusOf(const RolloutRecord& r, const WaveCounts& open) {
  RolloutStatus s;
  s.policy = r.policy;
  s.wave = r.wave;
  s.canary = IsCanaryWave(r.policy, r.wave);
  s.admitted_in_wave = open.admitted;
  s.ended_in_wave = open.ended;
  s.failures = r.failures;
  s.budget_spent = BudgetSpent(r);
  s.stop_reason = r.stop_reason;
  return s;
}

}  // namespace fleetpatch::state
