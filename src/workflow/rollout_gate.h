// RolloutGate: what a zone's pipeline (pipeline.h) asks of the run-wide patch rollout: hand over
// the instances that qualified, take this zone's share of the open wave, report the ends. Two
// implementations: RolloutScheduler (scheduler.h), in memory, for a run worked by one process; and
// StoreRolloutGate (store_rollout.h), on the state store's rollout record, for a run whose zones
// are worked by several `fleetpatch worker` processes (docs/team.md).
// Implementations are thread-safe: zone threads call them concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/run_events.h"

namespace fleetpatch::workflow {

class RolloutGate {
 public:
  virtual ~RolloutGate() = default;

  // A zone starts (after it handed over with Enqueue what already qualified): `preparing` of its
  // instances may still qualify, `in_flight` are being patched (a resumed run). Returns whether
  // those in flight belong to the wave that is open; if not, they count only when they end.
  virtual bool Join(const std::string& zone, int64_t preparing, int64_t in_flight) = 0;
  // A zone is over (or failed): its open work no longer holds the wave, its queue is dropped.
  virtual void Leave(const std::string& zone) = 0;
  // Instances of `zone` qualified: (order in the run, instance id). false when the rollout
  // stopped: the caller skips them with StopReason().
  virtual bool Enqueue(const std::string& zone, const std::vector<std::pair<size_t, std::string>>& ids) = 0;
  // `n` instances of `zone` that were preparing will never qualify (blocked).
  virtual void Drop(const std::string& zone, int64_t n) = 0;
  // The instances of `zone` in the open wave that it has not taken yet; `*wave` is its number.
  virtual std::vector<std::string> Take(const std::string& zone, int* wave) = 0;
  // One patch of `zone` ended (`failed`: failed, timed out or cancelled), before Ended() counts it.
  virtual void InstanceEnded(const std::string& zone, const std::string& instance_id, bool failed) {
    (void)zone, (void)instance_id, (void)failed;
  }
  // Instances of `zone`'s wave share ended (`failures` of them failed); `outside` failures of
  // adopted patches outside any wave.
  virtual void Ended(const std::string& zone, int64_t n, int failures, int outside = 0) = 0;

  // The disruption budget (patch.max_unavailable): instances of `zone` resumed in flight take their
  // places (before Join); instances whose work is finished give theirs back.
  virtual void Hold(const std::string& zone, const std::vector<std::string>& ids) = 0;
  virtual void Release(const std::string& zone, const std::vector<std::string>& ids) = 0;
  // Once the maintenance window closed (Halt() kWindowClosed): when it opens next, as a sentence.
  virtual std::string NextWindow() const = 0;

  // `n` queued instances were skipped because the rollout stopped (for the journal).
  virtual void NoteStopped(int64_t n) = 0;
  virtual int64_t stopped_count() const = 0;

  virtual bool Stopped() const = 0;
  virtual std::string StopReason() const = 0;
  // Why the rollout stopped (canary failed, error budget spent); nullopt while it goes on.
  virtual std::optional<HaltReason> Halt() const = 0;
  // Changes whenever a wave starts or the rollout stops.
  virtual uint64_t Generation() const = 0;
  // Waits (real time, at most `max`) until Generation() differs from `seen` or the run is cancelled.
  virtual void WaitForChange(uint64_t seen, std::chrono::milliseconds max) = 0;
};

}  // namespace fleetpatch::workflow
