// StoreRolloutGate: the run-wide patch rollout of a run whose zones several `fleetpatch worker`
// processes share (docs/team.md). The canary gate, the waves and the error budget live in the
// state store's rollout record (StateStore::StartRollout / AdmitToWave / RecordPatchEnd), changed
// only in the store's transactions, so they hold whichever worker patches which instance. This
// gate asks the store for each queued instance in turn; when the open wave is full it asks again
// after `ask_every`, and a patch end the store could not record is retried before anything else
// (an unrecorded end would hold the wave open for every worker).
// Not yet across workers: the disruption budget and the maintenance window (the worker command
// refuses a config with either; Hold/Release/NextWindow have nothing to keep).
// Thread-safe (one mutex; store calls are made under it, one at a time).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "state/state_store.h"
#include "workflow/cancel_token.h"
#include "workflow/rollout_gate.h"

namespace fleetpatch::workflow {

class StoreRolloutGate : public RolloutGate {
 public:
  // The rollout of `run_id` must have been started (StartRollout) in `store`.
  StoreRolloutGate(state::StateStore& store, std::string run_id, Clock& clock, CancelToken cancel,
                   std::chrono::milliseconds ask_every);

  bool Join(const std::string& zone, int64_t preparing, int64_t in_flight) override;
  void Leave(const std::string& zone) override;
  bool Enqueue(const std::string& zone, const std::vector<std::pair<size_t, std::string>>& ids) override;
  void Drop(const std::string& zone, int64_t n) override;
  std::vector<std::string> Take(const std::string& zone, int* wave) override;
  void InstanceEnded(const std::string& zone, const std::string& instance_id, bool failed) override;
  void Ended(const std::string& zone, int64_t n, int failures, int outside) override;
  void Hold(const std::string&, const std::vector<std::string>&) override {}
  void Release(const std::string&, const std::vector<std::string>&) override {}
  std::string NextWindow() const override { return ""; }
  void NoteStopped(int64_t n) override;
  int64_t stopped_count() const override;
  bool Stopped() const override;
  std::string StopReason() const override;
  std::optional<HaltReason> Halt() const override;
  uint64_t Generation() const override;
  void WaitForChange(uint64_t seen, std::chrono::milliseconds max) override;

  // The last store error met (the gate retries; a caller may log it). Empty when none.
  std::string LastError() const;

 private:
  struct End {
    std::string zone, instance_id;
    bool failed;
  };
  void StopLocked(const std::string& reason, bool budget_spent);
  bool RecordEndsLocked();
  void NoteErrorLocked(const Error& e);

  state::StateStore& store_;
  const std::string run_id_;
  Clock& clock_;
  const CancelToken cancel_;
  const std::chrono::milliseconds ask_every_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<std::string>> queued_;                  // zone -> ids in the run's order
  std::map<std::string, std::chrono::steady_clock::time_point> next_ask_;  // zone -> not before (wave full)
  std::deque<End> unrecorded_;                                             // ends the store did not take yet
  uint64_t generation_ = 0;
  bool stopped_ = false;
  bool budget_spent_ = false;
  std::string stop_reason_;
  int64_t stopped_count_ = 0;
  std::string last_error_;
};

}  // namespace fleetpatch::workflow
