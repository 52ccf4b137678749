#include "workflow/lease_heartbeat.h"

namespace fleetpatch::workflow {

LeaseHeartbeat::LeaseHeartbeat(state::StateStore& store, state::ZoneLease* lease,
                               std::chrono::milliseconds ttl, Clock& clock, CancelToken cancel)
    : store_(store), lease_(lease), ttl_(ttl), clock_(clock), cancel_(std::move(cancel)) {
  thread_ = std::thread([this] { Loop(); });
}

LeaseHeartbeat::~LeaseHeartbeat() { Stop(); }

std::string LeaseHeartbeat::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return lost_;
}

void LeaseHeartbeat::Loop() {
  auto last_ok = clock_.SteadyNow();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, ttl_ / 3, [this] { return stop_; });
    if (stop_) return;
    lock.unlock();
    Status st = store_.RenewZoneLease(lease_, ttl_);
    const auto now = clock_.SteadyNow();
    std::string lost;
    if (st.ok()) {
      last_ok = now;
    } else if (st.error().category == ErrorCategory::kValidation) {
      lost = "lease of zone " + lease_->zone + " is no longer this worker's: " + st.error().message;
    } else if (now - last_ok >= ttl_ * 2 / 3) {
      lost = "lease of zone " + lease_->zone + " could not be renewed for " +
             std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - last_ok).count()) +
             " s (another worker may take the zone over): " + st.error().message;
    }
    lock.lock();
    if (!lost.empty()) {
      lost_ = lost;
      cancel_.Cancel();
      return;
    }
  }
}

}  // namespace fleetpatch::workflow
