// What a run tells the outside world while it happens: the events behind notifications
// (src/notify) and metrics (src/metrics), and RunObserver, the one interface the run engine and
// the workflow call to emit them. Observers only watch: they never change or fail a run, so every
// method returns nothing and must not throw; an observer that cannot deliver keeps the problem and
// reports it itself (Notifier::Failures()).
//
// Who emits what: the run engine emits RunStarted, PhaseEnded after each phase and RunFinished at the end;
// RolloutHalted comes from the patch phase's stop (canary failed, error budget spent, maintenance
// window closed); RollbackDone and InstancesInStandby are defined here for the rollback and
// standby work to emit.
// Thread-safety: the event types are plain values. An observer may be called from any thread
// (the safety loop runs on zone workers), so implementations must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/run_model.h"

namespace fleetpatch {

struct PhaseCounts {
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
  int64_t pending = 0;
  int64_t not_run = 0;
};

// This invocation starts working on a run (new, continued or resumed).
struct RunStarted {
  std::string run_id;
  std::vector<Phase> phases;  // the phases it will run, in order
  bool dry_run = false;
};

// A phase of a run ended (also when it was interrupted or stopped by the error budget).
struct PhaseEnded {
  std::string run_id;
  Phase phase = Phase::kScan;
  PhaseCounts counts;  // of this invocation's phase (succeeded, failed, skipped)
  std::chrono::duration<double> duration{0};
  bool interrupted = false;
  bool rollout_stopped = false;  // the patch phase's error budget or canary stopped new waves
  int zone_errors = 0;
};

// The run (this invocation) finished, with the summary the reports show.
struct RunFinished {
  std::string run_id;
  RunStatus status = RunStatus::kSucceeded;
  int exit_code = 0;
  bool dry_run = false;
  int64_t instances = 0;
  int64_t eligible = 0;
  int64_t zones_failed = 0;
  std::vector<std::pair<Phase, PhaseCounts>> phases;  // every phase of the run, in order
  std::vector<std::string> reports;                   // report file paths
  std::string error;                                  // a phase's fatal error, "" when none
};

// The names of the events notifications can subscribe to (config `notifications.*.events`).
inline constexpr const char* kRunFinishedEvent = "run_finished";
inline constexpr const char* kRolloutHaltedEvent = "rollout_halted";
inline constexpr const char* kRollbackDoneEvent = "rollback_done";
inline constexpr const char* kInstancesInStandbyEvent = "instances_in_standby";
std::vector<std::string> NotificationEventNames();  // the four above, in this order

enum class HaltReason { kCanaryFailed, kErrorBudgetSpent, kWindowClosed };
const char* HaltReasonName(HaltReason r);  // "canary_failed", "error_budget_spent", "window_closed"

// The patch rollout stopped starting new waves.
struct RolloutHalted {
  std::string run_id;
  HaltReason reason = HaltReason::kErrorBudgetSpent;
  int64_t failed = 0;       // instances failed when it stopped
  int64_t not_started = 0;  // instances the patch phase skipped (the waves that will not start among them)
  std::string detail;       // one human sentence, no secret
};

// Instances were rolled back (restored from their backup AMI) after a failed patch.
struct RollbackDone {
  std::string run_id;
  std::vector<std::string> instance_ids;  // rolled back
  std::vector<std::string> failed_ids;    // rollback attempted and failed
  std::string detail;
};

// Instances were left in Auto Scaling standby (taken out of service and not returned).
struct InstancesInStandby {
  std::string run_id;
  std::vector<std::string> instance_ids;
  std::string detail;
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnRunStarted(const RunStarted&) {}
  virtual void OnPhaseEnded(const PhaseEnded&) {}
  virtual void OnRunFinished(const RunFinished&) {}
  virtual void OnRolloutHalted(const RolloutHalted&) {}
  virtual void OnRollbackDone(const RollbackDone&) {}
  virtual void OnInstancesInStandby(const InstancesInStandby&) {}
};

// Hands every event to each observer added, in order. Add() before the run starts; the calls
// are then thread-safe when each observer is.
class RunObservers final : public RunObserver {
 public:
  void Add(std::shared_ptr<RunObserver> o) { observers_.push_back(std::move(o)); }
  bool empty() const { return observers_.empty(); }
  void OnRunStarted(const RunStarted& e) override {
    for (auto& o : observers_) o->OnRunStarted(e);
  }
  void OnPhaseEnded(const PhaseEnded& e) override {
    for (auto& o : observers_) o->OnPhaseEnded(e);
  }
  void OnRunFinished(const RunFinished& e) override {
    for (auto& o : observers_) o->OnRunFinished(e);
  }
  void OnRolloutHalted(const RolloutHalted& e) override {
    for (auto& o : observers_) o->OnRolloutHalted(e);
  }
  void OnRollbackDone(const RollbackDone& e) override {
    for (auto& o : observers_) o->OnRollbackDone(e);
  }
  void OnInstancesInStandby(const InstancesInStandby& e) override {
    for (auto& o : observers_) o->OnInstancesInStandby(e);
  }

 private:
  std::vector<std::shared_ptr<RunObserver>> observers_;
};

}  // namespace fleetpatch
