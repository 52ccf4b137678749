// RolloutScheduler: the run-wide patch rollout of a pipelined run. Zones hand it the instances
// that qualified (precheck ready, AMI available); it forms waves from them, one wave at a time over
// all zones, and hands each zone its share:
// - the canary wave (patch.canary_size instances, the first in the run's instance order) goes
//   first; it waits to be full while instances of the zones at work may still qualify. Once it
//   ends, any failure in it stops the rollout (patch.canary_must_succeed);
// - later waves take up to patch.max_concurrency queued instances as soon as the previous wave
//   ended (they do not wait to be full), unless the error budget is spent;
// - once stopped, no wave starts; zones skip what they hold queued ("rollout stopped");
// - the disruption budget (patch.max_unavailable): a wave takes, in queue order, only instances
//   whose groups all have room; an instance holds its places until Release() (its work is
//   finished), so no wave ever takes more than the limit of one group down at once. Instances that
//   do not fit stay queued for a later wave;
// - the maintenance window (workflow.window): no wave starts outside it. The rollout then stops
//   with HaltReason::kWindowClosed; zones keep what they hold queued unrecorded, for --resume.
// The error budget's base is the number of instances that may be patched in the run: every
// candidate not yet known to be blocked (so a percentage is exact once every preparation is over).
// Thread-safe: zone threads call it concurrently (one mutex; waiters wake on a condition variable).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/count_or_percent.h"
#include "common/error.h"
#include "common/run_events.h"
#include "common/run_model.h"
#include "workflow/cancel_token.h"
#include "workflow/disruption_budget.h"
#include "workflow/maintenance_window.h"
#include "workflow/rollout_gate.h"

namespace fleetpatch::workflow {

struct RolloutOptions {
  int canary_size = 1;                    // 0: no canary
  int wave_size = 50;                     // patch.max_concurrency (>= 1)
  CountOrPercent error_budget{true, 10};  // of the candidates
  bool canary_must_succeed = true;
  int first_round_zones = 1;  // zones that start together: the first wave waits for all of them
  std::shared_ptr<DisruptionBudget> budget;         // nullptr: no disruption budget
  std::shared_ptr<const MaintenanceWindow> window;  // nullptr: waves start at any time
  const Clock* clock = nullptr;                     // what the window is read on (required with a window)
};

// What the store says of the rollout so far (a resumed run), from RolloutHistoryOf().
struct RolloutHistory {
  int64_t candidates = 0;          // instances that may be patched (preparing, queued, in flight, patched)
  int failures = 0;                // patches that ended failed in earlier attempts
  bool canary_over = false;        // a canary wave already ended (or no canary is needed any more)
  bool canary_failed = false;      // ... and one of its instances failed
  bool resumed_is_canary = false;  // the patches in flight are the canary wave's
  int next_wave = 0;               // the number of the next wave
};

class RolloutScheduler : public RolloutGate {
 public:
  // kConfig when the error budget cannot be parsed.
  static Result<std::unique_ptr<RolloutScheduler>> Create(RolloutOptions options, RolloutHistory history,
                                                          CancelToken cancel);

  // A zone starts (after it handed over with Enqueue what already qualified): `preparing` of its instances
  // may still qualify, `in_flight` are being patched (a resumed run). Returns whether those in flight belong
  // to the wave that is open (the first one after a resume); if not, they are only counted against the budget
  // when they end.
  bool Join(const std::string& zone, int64_t preparing, int64_t in_flight);
  // A zone is over (or failed): its open work no longer holds the wave, its queue is dropped.
  void Leave(const std::string& zone);
  // Instances of `zone` qualified: (order in the run, instance id). false when the rollout stopped:
  // the caller skips them with StopReason().
  bool Enqueue(const std::string& zone, const std::vector<std::pair<size_t, std::string>>& ids);
  // `n` instances of `zone` that were preparing will never qualify (blocked).
  void Drop(const std::string& zone, int64_t n);
  // The instances of `zone` in the open wave that it has not taken yet; `*wave` is its number.
  std::vector<std::string> Take(const std::string& zone, int* wave);
  // Instances of `zone`'s wave share ended (`failures` of them failed); `outside` failures of
  // adopted patches outside any wave.
  void Ended(const std::string& zone, int64_t n, int failures, int outside = 0);
  // The disruption budget: instances of `zone` resumed in flight take their places (before Join);
  // instances whose work is finished give theirs back (a wave waiting for room may then form).
  void Hold(const std::string& zone, const std::vector<std::string>& ids);
  void Release(const std::string& zone, const std::vector<std::string>& ids);
  // Once the window closed (Halt() kWindowClosed): when it opens next, as a sentence.
  std::string NextWindow() const;

  // `n` queued instances were skipped because the rollout stopped (for the journal).
  void NoteStopped(int64_t n);
  int64_t stopped_count() const;

  bool Stopped() const;
  std::string StopReason() const;
  // Why the rollout stopped (canary failed, error budget spent); nullopt while it goes on.
  std::optional<HaltReason> Halt() const;
  // Changes whenever a wave starts or the rollout stops.
  uint64_t Generation() const;
  // Waits (real time, at most `max`) until Generation() differs from `seen` or the token is cancelled.
  void WaitForChange(uint64_t seen, std::chrono::milliseconds max);

  int failures() const;

 private:
  RolloutScheduler(RolloutOptions options, RolloutHistory history, CancelToken cancel);
  void MaybeFormWaveLocked();
  bool BudgetSpentLocked(int* allowed) const;
  void StopLocked(HaltReason reason);
  void EndWaveLocked();
  bool WindowClosedLocked();
  std::vector<std::pair<std::string, std::string>> PickLocked(size_t size);

  const RolloutOptions options_;
  const CancelToken cancel_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t generation_ = 0;

  std::map<size_t, std::pair<std::string, std::string>> queue_;  // order -> (zone, id)
  std::map<std::string, std::vector<std::string>> assigned_;     // zone -> ids not taken yet
  std::map<std::string, int64_t> open_;                          // zone -> its share of the open wave
  std::map<std::string, int64_t> preparing_by_zone_;
  int64_t preparing_ = 0;
  int64_t candidates_;
  int64_t wave_open_ = 0;
  int wave_failures_ = 0;
  int failures_;
  int wave_ = -1;
  int next_wave_;
  bool wave_is_canary_ = false;
  bool canary_over_;
  bool any_wave_formed_ = false;
  int zones_joined_ = 0;
  bool stopped_ = false;
  int64_t stopped_count_ = 0;
  std::string stop_reason_;
  std::optional<HaltReason> halt_;
  std::map<std::string, std::set<std::string>> held_;  // zone -> instances holding budget places
  std::string next_window_;
};

// Reads a run's instances (eligible, in store order) one at a time into a RolloutHistory, so a
// caller can stream them from the store. `prepare`: whether missing backups/prechecks will be run
// now (a pipelined run) or count as not passed (patch only).
class RolloutHistoryBuilder {
 public:
  RolloutHistoryBuilder(bool backup_enabled, bool backup_required, int canary_size, bool prepare);
  void Add(const InstanceRun& r);
  RolloutHistory Finish() const;

 private:
  const bool backup_enabled_, backup_required_, prepare_;
  const int canary_size_;
  RolloutHistory h_;
  bool canary_ended_ = false, canary_failed_ = false, later_wave_ = false, canary_in_flight_ = false;
};

// The same over a vector of records.
RolloutHistory RolloutHistoryOf(const std::vector<InstanceRun>& instances, bool backup_enabled,
                                bool backup_required, int canary_size, bool prepare);

}  // namespace fleetpatch::workflow
