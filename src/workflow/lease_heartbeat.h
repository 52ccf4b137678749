// LeaseHeartbeat: keeps a worker's zone lease (state_store.h, docs/team.md) alive while the worker
// works the zone: renews it every third of its ttl on a thread of its own. It fences itself: when
// the store says the lease is no longer this worker's (taken over, released), or when no renewal
// has succeeded for two thirds of the ttl (the store unreachable: another worker may take the zone
// over soon), it cancels `cancel`, so the zone starts no more work.
// Thread-safety: construct, Stop() and destroy on one thread; the lease must not be used by
// anyone else until Stop() returned.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "state/state_store.h"
#include "workflow/cancel_token.h"

namespace fleetpatch::workflow {

class LeaseHeartbeat {
 public:
  LeaseHeartbeat(state::StateStore& store, state::ZoneLease* lease, std::chrono::milliseconds ttl,
                 Clock& clock, CancelToken cancel);
  ~LeaseHeartbeat();
  LeaseHeartbeat(const LeaseHeartbeat&) = delete;
  LeaseHeartbeat& operator=(const LeaseHeartbeat&) = delete;

  // Stops renewing (joins the thread). Returns why the lease was given up, "" when it was kept.
  std::string Stop();

 private:
  void Loop();

  state::StateStore& store_;
  state::ZoneLease* const lease_;
  const std::chrono::milliseconds ttl_;
  Clock& clock_;
  const CancelToken cancel_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::string lost_;
  std::thread thread_;
};

}  // namespace fleetpatch::workflow
