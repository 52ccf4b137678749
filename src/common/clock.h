// Clock: the seam for time. Everything that reads the time or sleeps takes a Clock&, so tests can
// use a FakeClock (testing/fake_clock.h) and signing/expiry logic is deterministic.
// Thread-safety: implementations must be safe to call from many threads.
#pragma once

#include <chrono>
#include <string>

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
  std::chrono::steady_clock::time_point SteadyNow() const override { return std::chrono::steady_clock::now(); }
  void SleepFor(std::chrono::nanoseconds d) override;
};

// A process-wide RealClock for code that has no injected clock (main, the emulator server).
RealClock& DefaultClock();

// Formats: "20150830T123600Z" (SigV4), "2015-08-30T12:36:00Z" (ISO 8601 UTC).
std::string FormatAmzDate(std::chrono::system_clock::time_point t);
std::string FormatIso8601(std::chrono::system_clock::time_point t);
// Parses ISO 8601 UTC ("2015-08-30T12:36:00Z", optional fractional seconds, "+00:00" accepted).
// Returns false on malformed input and leaves *out unchanged.
bool ParseIso8601(const std::string& s, std::chrono::system_clock::time_point* out);
// Seconds from ISO 8601 time `start` to `end`; 0 when either does not parse or end is before start
// (a duration is never negative, even if the wall clock was stepped back in between).
double SecondsBetweenIso8601(const std::string& start, const std::string& end);

}  // namespace fleetpatch
