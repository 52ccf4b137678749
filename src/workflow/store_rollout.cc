#include "workflow/store_rollout.h"

#include <algorithm>

namespace fleetpatch::workflow {

StoreRolloutGate::StoreRolloutGate(state::StateStore& store, std::string run_id, Clock& clock,
                                   CancelToken cancel, std::chrono::milliseconds ask_every)
    : store_(store),
      run_id_(std::move(run_id)),
      clock_(clock),
      cancel_(std::move(cancel)),
      ask_every_(ask_every) {}

// Patches in flight (a zone taken over) were admitted by the worker that sent them: the store
// gives them their wave again, and their ends are recorded like any other.
bool StoreRolloutGate::Join(const std::string&, int64_t, int64_t) { return true; }

void StoreRolloutGate::Leave(const std::string& zone) {
  std::lock_guard<std::mutex> lock(mu_);
  queued_.erase(zone);
  next_ask_.erase(zone);
}

bool StoreRolloutGate::Enqueue(const std::string& zone,
                               const std::vector<std::pair<size_t, std::string>>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) return false;
  auto sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [order, id] : sorted) queued_[zone].push_back(id);
  return true;
}

void StoreRolloutGate::Drop(const std::string&, int64_t) {}  // the store counts only admissions and ends

// Admits `zone`'s queued instances one by one until the store says the open wave is full (ask
// again later), the rollout stopped, or the next admission falls in another wave (taken next time).
std::vector<std::string> StoreRolloutGate::Take(const std::string& zone, int* wave) {
  std::lock_guard<std::mutex> lock(mu_);
  *wave = -1;
  std::vector<std::string> ids;
  auto& queue = queued_[zone];
  const auto now = clock_.SteadyNow();
  if (stopped_ || queue.empty() || now < next_ask_[zone] || !RecordEndsLocked()) return ids;
  while (!queue.empty() && !stopped_) {
    auto a = store_.AdmitToWave(run_id_, zone, queue.front());
    if (!a.ok()) {
      NoteErrorLocked(a.error());
      next_ask_[zone] = now + ask_every_;
      break;
    }
    if (a->decision == state::AdmitDecision::kStopped) {
      StopLocked(a->reason, false);
      break;
    }
    if (a->decision == state::AdmitDecision::kWait) {
      next_ask_[zone] = now + ask_every_;
      break;
    }
    if (*wave >= 0 && a->wave != *wave) break;  // taken next time: asked again, the store returns its wave
    *wave = a->wave;
    ids.push_back(queue.front());
    queue.pop_front();
  }
  if (!ids.empty()) ++generation_;
  return ids;
}

void StoreRolloutGate::InstanceEnded(const std::string& zone, const std::string& instance_id, bool failed) {
  std::lock_guard<std::mutex> lock(mu_);
  unrecorded_.push_back(End{zone, instance_id, failed});
  RecordEndsLocked();
}

void StoreRolloutGate::Ended(const std::string&, int64_t, int, int) {}  // recorded per instance above

// Records the ends the store has not taken yet, oldest first; false while some remain.
bool StoreRolloutGate::RecordEndsLocked() {
  while (!unrecorded_.empty()) {
    const End& e = unrecorded_.front();
    auto st = store_.RecordPatchEnd(run_id_, e.zone, e.instance_id, e.failed);
    if (!st.ok()) {
      NoteErrorLocked(st.error());
      return false;
    }
    if (!st->stop_reason.empty()) StopLocked(st->stop_reason, st->budget_spent);
    unrecorded_.pop_front();
  }
  return true;
}

void StoreRolloutGate::StopLocked(const std::string& reason, bool budget_spent) {
  if (stopped_) return;
  stopped_ = true;
  budget_spent_ = budget_spent;
  if (!budget_spent) {  // an admission refused: ask the record why
    auto st = store_.GetRollout(run_id_);
    if (st.ok()) budget_spent_ = st->budget_spent;
  }
  stop_reason_ = reason;
  ++generation_;
}

void StoreRolloutGate::NoteErrorLocked(const Error& e) { last_error_ = e.ToString(); }

void StoreRolloutGate::NoteStopped(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_count_ += n;
}

int64_t StoreRolloutGate::stopped_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_count_;
}

bool StoreRolloutGate::Stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

std::string StoreRolloutGate::StopReason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_reason_;
}

std::optional<HaltReason> StoreRolloutGate::Halt() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stopped_) return std::nullopt;
  return budget_spent_ ? HaltReason::kErrorBudgetSpent : HaltReason::kCanaryFailed;
}

uint64_t StoreRolloutGate::Generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

// Other workers' waves are not announced: the zone sleeps `max` (on the clock, waking for
// cancellation) and asks again; ends not yet recorded are retried meanwhile.
void StoreRolloutGate::WaitForChange(uint64_t seen, std::chrono::milliseconds max) {
  const auto due = clock_.SteadyNow() + max;
  constexpr auto kSlice = std::chrono::milliseconds(50);
  while (!cancel_.Cancelled() && Generation() == seen && clock_.SteadyNow() < due) {
    clock_.SleepFor(std::min<std::chrono::nanoseconds>(due - clock_.SteadyNow(), kSlice));
  }
  std::lock_guard<std::mutex> lock(mu_);
  RecordEndsLocked();
}

std::string StoreRolloutGate::LastError() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

}  // namespace fleetpatch::workflow
