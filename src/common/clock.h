// Clock: the seam for time. Everything that reads the time or sleeps takes a Clock&, so tests can
// use a FakeClock (testing/fake_clock.h) and signing/expiry logic is deterministic.
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <chrono>
#include <string>

// The time formats and parsers live in time_format.h; included here for the callers that format the
// clock's time.
#include "common/time_format.h"

namespace fleetpatch {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time (for SigV4 dates, expirations, timestamps in reports).
  virtual std::chrono::system_clock::time_point Now() const = 0;
  // Monotonic time (for timeouts, backoff, rate limiting).
  virtual std::chrono::steady_clock::time_point SteadyNow() const = 0;
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

class RealClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::nanoseconds d) override;
};

// A process-wide RealClock for code that has no injected clock (main, the emulator server).
RealClock& DefaultClock();

}  // namespace fleetpatch
