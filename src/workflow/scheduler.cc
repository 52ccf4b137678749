#include "workflow/scheduler.h"

#include <algorithm>

#include "workflow/instance_state.h"
#include "workflow/patch.h"
#include "workflow/rollout.h"

namespace fleetpatch::workflow {

Result<std::unique_ptr<RolloutScheduler>> RolloutScheduler::Create(RolloutOptions options,
                                                                   RolloutHistory history,
                                                                   CancelToken cancel) {
  options.wave_size = std::max(1, options.wave_size);
  options.canary_size = std::max(0, options.canary_size);
  return std::unique_ptr<RolloutScheduler>(
      new RolloutScheduler(std::move(options), history, std::move(cancel)));
}

RolloutScheduler::RolloutScheduler(RolloutOptions options, RolloutHistory history, CancelToken cancel)
    : options_(std::move(options)),
      cancel_(std::move(cancel)),
      candidates_(history.candidates),
      failures_(history.failures),
      next_wave_(history.next_wave),
      canary_over_(history.canary_over || options_.canary_size == 0) {
  wave_is_canary_ = history.resumed_is_canary;
}

bool RolloutScheduler::Join(const std::string& zone, int64_t preparing, int64_t in_flight) {
  std::lock_guard<std::mutex> lock(mu_);
  ++zones_joined_;
  preparing_ += preparing;
  preparing_by_zone_[zone] += preparing;
  bool in_wave = false;
  if (in_flight > 0 && !any_wave_formed_) {  // the patches of the interrupted wave: it is open again
    in_wave = true;
    wave_open_ += in_flight;
    open_[zone] += in_flight;
  }
  MaybeFormWaveLocked();
  return in_wave;
}

void RolloutScheduler::Leave(const std::string& zone) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.budget) {  // a zone that failed must not hold places of groups other zones wait for
    for (const auto& id : held_[zone]) options_.budget->Release(id);
  }
  held_.erase(zone);
  for (auto it = queue_.begin(); it != queue_.end();)
    it = it->second.first == zone ? queue_.erase(it) : std::next(it);
  wave_open_ -= open_[zone];
  open_.erase(zone);
  assigned_.erase(zone);
  preparing_ -= preparing_by_zone_[zone];
  preparing_by_zone_.erase(zone);
  if (wave_open_ <= 0 && wave_ >= 0) EndWaveLocked();
  MaybeFormWaveLocked();
}

bool RolloutScheduler::Enqueue(const std::string& zone,
                               const std::vector<std::pair<size_t, std::string>>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto n = static_cast<int64_t>(ids.size());
  preparing_ -= std::min(n, preparing_by_zone_[zone]);
  preparing_by_zone_[zone] -= std::min(n, preparing_by_zone_[zone]);
  if (stopped_) return false;
  for (const auto& [order, id] : ids) queue_[order] = {zone, id};
  MaybeFormWaveLocked();
  return true;
}

void RolloutScheduler::Drop(const std::string& zone, int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  candidates_ -= n;
  n = std::min(n, preparing_by_zone_[zone]);
  preparing_ -= n;
  preparing_by_zone_[zone] -= n;
  MaybeFormWaveLocked();
}

std::vector<std::string> RolloutScheduler::Take(const std::string& zone, int* wave) {
  std::lock_guard<std::mutex> lock(mu_);
  *wave = wave_;
  auto it = assigned_.find(zone);
  if (it == assigned_.end()) return {};
  std::vector<std::string> out = std::move(it->second);
  assigned_.erase(it);
  return out;
}

void RolloutScheduler::Ended(const std::string& zone, int64_t n, int failures, int outside) {
  std::lock_guard<std::mutex> lock(mu_);
  failures_ += failures + outside;
  if (n > 0) {
    wave_failures_ += failures;
    wave_open_ -= n;
    open_[zone] -= n;
    if (wave_open_ <= 0) EndWaveLocked();
  }
  MaybeFormWaveLocked();
}

void RolloutScheduler::EndWaveLocked() {
  wave_open_ = 0;
  if (wave_is_canary_) {
    canary_over_ = true;
    if (options_.canary_must_succeed && wave_failures_ > 0) {
      int allowed = 0;
      StopLocked(BudgetSpentLocked(&allowed) ? HaltReason::kErrorBudgetSpent : HaltReason::kCanaryFailed);
    }
  }
  wave_is_canary_ = false;
  wave_failures_ = 0;
}

bool RolloutScheduler::BudgetSpentLocked(int* allowed) const {
  *allowed = static_cast<int>(options_.error_budget.Of(candidates_));
  return failures_ > *allowed;
}

void RolloutScheduler::StopLocked(HaltReason reason) {
  if (stopped_) return;
  int allowed = 0;
  BudgetSpentLocked(&allowed);
  stopped_ = true;
  halt_ = reason;
  switch (reason) {
    case HaltReason::kCanaryFailed:
      stop_reason_ = "canary wave failed: rollout stopped";
      break;
    case HaltReason::kErrorBudgetSpent:
      stop_reason_ = "error budget spent (" + std::to_string(failures_) + " failures, " +
                     std::to_string(allowed) + " allowed): rollout stopped";
      break;
    case HaltReason::kWindowClosed:
      stop_reason_ = "maintenance window closed: rollout stopped; " + next_window_;
      break;
  }
  queue_.clear();
  ++generation_;
  changed_.notify_all();
}

void RolloutScheduler::MaybeFormWaveLocked() {
  if (stopped_ || wave_open_ > 0 || cancel_.Cancelled()) return;
  if (zones_joined_ < options_.first_round_zones || queue_.empty()) return;
  int allowed = 0;
  if (BudgetSpentLocked(&allowed)) return StopLocked(HaltReason::kErrorBudgetSpent);
  const bool canary = !canary_over_;
  const size_t size = static_cast<size_t>(canary ? options_.canary_size : options_.wave_size);
  if (canary && queue_.size() < size && preparing_ > 0) return;  // a full canary while more may qualify
  if (WindowClosedLocked()) return;
  const auto picked = PickLocked(size);
  if (picked.empty()) return;  // every queued instance waits for room in one of its groups
  wave_ = next_wave_++;
  wave_is_canary_ = canary;
  wave_failures_ = 0;
  any_wave_formed_ = true;
  for (const auto& [zone, id] : picked) {
    assigned_[zone].push_back(id);
    ++open_[zone];
    ++wave_open_;
  }
  ++generation_;
  changed_.notify_all();
}

// Up to `size` queued instances in the run's order, each with room in every group of the
// disruption budget (their places are taken now); taken off the queue.
std::vector<std::pair<std::string, std::string>> RolloutScheduler::PickLocked(size_t size) {
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = queue_.begin(); it != queue_.end() && out.size() < size;) {
    const auto& [zone, id] = it->second;
    if (options_.budget && !options_.budget->TryAcquire(id)) {
      ++it;
      continue;
    }
    if (options_.budget) held_[zone].insert(id);
    out.push_back(it->second);
    it = queue_.erase(it);
  }
  return out;
}

// Outside the maintenance window no wave starts: the rollout stops, resumable.
bool RolloutScheduler::WindowClosedLocked() {
  if (!options_.window || !options_.clock) return false;
  const WindowState w = options_.window->At(std::chrono::floor<std::chrono::seconds>(options_.clock->Now()));
  if (w.open) return false;
  next_window_ = options_.window->DescribeNextOpening(w);
  StopLocked(HaltReason::kWindowClosed);
  return true;
}

void RolloutScheduler::Hold(const std::string& zone, const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!options_.budget) return;
  for (const auto& id : ids) {
    (void)options_.budget->TryAcquire(id);  // already down: counted where there is room
    held_[zone].insert(id);
  }
}

void RolloutScheduler::Release(const std::string& zone, const std::vector<std::string>& ids) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!options_.budget) return;
  for (const auto& id : ids) {
    options_.budget->Release(id);
    held_[zone].erase(id);
  }
  MaybeFormWaveLocked();
}

std::string RolloutScheduler::NextWindow() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_window_;
}

void RolloutScheduler::NoteStopped(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_count_ += n;
}

int64_t RolloutScheduler::stopped_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_count_;
}

bool RolloutScheduler::Stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stopped_;
}

std::string RolloutScheduler::StopReason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_reason_;
}

std::optional<HaltReason> RolloutScheduler::Halt() const {
  std::lock_guard<std::mutex> lock(mu_);
  return halt_;
}

uint64_t RolloutScheduler::Generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

int RolloutScheduler::failures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failures_;
}

void RolloutScheduler::WaitForChange(uint64_t seen, std::chrono::milliseconds max) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, max, [&] { return generation_ != seen || cancel_.Cancelled(); });
}

RolloutHistoryBuilder::RolloutHistoryBuilder(bool backup_enabled, bool backup_required, int canary_size,
                                             bool prepare)
    : backup_enabled_(backup_enabled),
      backup_required_(backup_required),
      prepare_(prepare),
      canary_size_(canary_size) {}

void RolloutHistoryBuilder::Add(const InstanceRun& r) {
  const InstanceState s = StateFromRecord(r, backup_enabled_, backup_required_, prepare_);
  if (s.stage == Stage::kBlocked || s.stage == Stage::kStopped) return;
  ++h_.candidates;
  if (s.stage != Stage::kPatched && s.stage != Stage::kPatching) return;
  h_.next_wave = std::max(h_.next_wave, r.patch->wave + 1);
  if (r.patch->wave > 0) later_wave_ = true;
  if (s.stage == Stage::kPatched) {
    if (PatchFailed(r.patch->status)) ++h_.failures;
    if (r.patch->wave == 0) {
      canary_ended_ = true;
      canary_failed_ = canary_failed_ || PatchFailed(r.patch->status);
    }
  } else if (r.patch->wave == 0) {
    canary_in_flight_ = true;
  }
}

RolloutHistory RolloutHistoryBuilder::Finish() const {
  RolloutHistory h = h_;
  h.canary_over =
      canary_size_ == 0 || later_wave_ || (canary_ended_ && !canary_failed_ && !canary_in_flight_);
  h.canary_failed = canary_failed_;
  h.resumed_is_canary = !h.canary_over && canary_in_flight_;
  return h;
}

RolloutHistory RolloutHistoryOf(const std::vector<InstanceRun>& instances, bool backup_enabled,
                                bool backup_required, int canary_size, bool prepare) {
  RolloutHistoryBuilder b(backup_enabled, backup_required, canary_size, prepare);
  for (const auto& r : instances) b.Add(r);
  return b.Finish();
}

}  // namespace fleetpatch::workflow
