// FakeClock: a Clock whose time moves only when a test (or SleepFor) advances it.
// Thread-safe: Now/SteadyNow/Advance may race; SleepFor advances time instead of blocking.
#pragma once

#include <atomic>
#include <chrono>

#include "common/clock.h"

namespace fleetpatch::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start = std::chrono::system_clock::time_point(
                         std::chrono::seconds(1440938160)))  // 2015-08-30T12:36:00Z, the SigV4 suites' time
      : wall_ns_(start.time_since_epoch().count()) {}

  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::system_clock::duration(wall_ns_.load()));
  }
  std::chrono::steady_clock::time_point SteadyNow() const override {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(steady_ns_.load()));
  }
  void SleepFor(std::chrono::nanoseconds d) override {
    slept_ns_ += d.count();
    Advance(d);
  }
  void Advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d).count();
    steady_ns_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d).count();
  }
  std::chrono::nanoseconds TotalSlept() const { return std::chrono::nanoseconds(slept_ns_.load()); }

 private:
  std::atomic<std::chrono::system_clock::rep> wall_ns_;
  std::atomic<std::chrono::steady_clock::rep> steady_ns_{0};
  std::atomic<long long> slept_ns_{0};
};

}  // namespace fleetpatch::testing
