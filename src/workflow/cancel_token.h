// CancelToken: how a run is asked to stop starting new work (Ctrl-C, SIGTERM, a test). The
// workflow reads only the token it is given, never a process-wide flag; InterruptToken()
// (interrupt.h) is the token the signal handler cancels. Copies share one state.
// Thread-safe (atomics); Cancelled() is async-signal-safe to race with the handler.
#pragma once

#include <atomic>
#include <memory>

namespace fleetpatch::workflow {

class CancelToken {
 public:
  // A token that is cancelled only by Cancel().
  CancelToken() : own_(std::make_shared<std::atomic<bool>>(false)) {}
  // A token that is also cancelled once `*counter` is above zero (the signal handler's count).
  // `counter` must outlive the token.
  static CancelToken Observing(const std::atomic<int>* counter) {
    CancelToken t;
    t.external_ = counter;
    return t;
  }

  bool Cancelled() const { return own_->load() || (external_ != nullptr && external_->load() > 0); }
  void Cancel() const { own_->store(true); }

 private:
  std::shared_ptr<std::atomic<bool>> own_;
  const std::atomic<int>* external_ = nullptr;
};

}  // namespace fleetpatch::workflow
